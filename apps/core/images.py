"""Validation and normalisation of uploaded pictures (avatars, hall photos, floor plans)."""

import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.core.exceptions import DomainError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Refuse decompression bombs outright instead of only warning.
Image.MAX_IMAGE_PIXELS = 40_000_000


class InvalidImage(DomainError):
    code = "INVALID_IMAGE"
    default_detail = "The file is not a picture we accept (JPEG, PNG, WebP or GIF, at most 5 MB)."


def image_normalize(*, upload: UploadedFile, max_side: int, square: bool = False) -> ContentFile:
    """Check type and size, apply EXIF rotation, crop (centre square) or bound it, re-encode as JPEG.

    Re-encoding drops any payload hidden in the original; the new name is random.
    """
    if upload.size is None or upload.size > settings.MAX_UPLOAD_BYTES:
        raise InvalidImage(f"The picture is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    try:
        with Image.open(upload) as probe:
            image_format = probe.format
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise InvalidImage() from exc
    if image_format not in ALLOWED_FORMATS:
        raise InvalidImage()
    if square:
        image = ImageOps.fit(image, (max_side, max_side), method=Image.Resampling.LANCZOS)
    else:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
