from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from apps.accounts.models import Player, User
from apps.core.images import image_normalize
from apps.core.upsert import upsert
from apps.halls.exceptions import NotHallStaff, PhotoNotFound
from apps.halls.models import HallPhoto, HallRating, PoolHouse
from apps.halls.selectors import user_is_hall_staff


def hall_staff_require(*, user: User, hall: PoolHouse) -> None:
    """The one check that a user runs this hall (superusers run every hall)."""
    if not user_is_hall_staff(user=user, hall=hall):
        raise NotHallStaff()


def hall_rating_submit(*, hall: PoolHouse, player: Player, rate: int, review: str) -> HallRating:
    """Create the player's review of the hall, or replace it: one per player and hall, even under races."""
    return upsert(HallRating, hall=hall, rater=player, defaults={"rate": rate, "review": review})


def hall_photo_add(*, hall: PoolHouse, user: User, upload: UploadedFile) -> HallPhoto:
    hall_staff_require(user=user, hall=hall)
    content = image_normalize(upload=upload, max_side=1600)
    photo = HallPhoto(hall=hall)
    photo.image.save(content.name or "photo.jpg", content, save=False)
    photo.save()
    return photo


def hall_photo_delete(*, hall: PoolHouse, user: User, photo_id: int) -> None:
    hall_staff_require(user=user, hall=hall)
    photo = HallPhoto.objects.filter(hall=hall, pk=photo_id).first()
    if photo is None:
        raise PhotoNotFound()
    name = photo.image.name
    storage = photo.image.storage
    photo.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def hall_floor_plan_set(*, hall: PoolHouse, user: User, upload: UploadedFile) -> PoolHouse:
    hall_staff_require(user=user, hall=hall)
    content = image_normalize(upload=upload, max_side=2000)
    hall.room_image.save(content.name or "plan.jpg", content, save=True)
    return hall
