"""Demo data for `make run`: halls with floor plans and photos, players, hall staff and an admin.

Idempotent: running it again updates the same rows and creates nothing twice.
"""

import io
import random
from datetime import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from apps.accounts.models import Player, User
from apps.accounts.services import player_ensure
from apps.halls.models import HallPhoto, HallStaff, PoolHouse, PoolTable

CITY_CENTRE = (41.7151, 44.8271)
HALLS: list[dict[str, Any]] = [
    {
        "title": "Cue Club Vake",
        "address": "12 Chavchavadze Ave",
        "offset": (0.0040, -0.0300),
        "open": time(9),
        "close": time(2),
        "tables": 8,
        "rate": "14.00",
        "colour": (16, 92, 52),
    },
    {
        "title": "Eight Ball Saburtalo",
        "address": "45 Kazbegi Ave",
        "offset": (0.0180, -0.0330),
        "open": time(10),
        "close": time(23),
        "tables": 6,
        "rate": "12.00",
        "colour": (20, 70, 110),
    },
    {
        "title": "Old Town Billiards",
        "address": "3 Sioni St",
        "offset": (-0.0230, 0.0050),
        "open": time(12),
        "close": time(4),
        "tables": 10,
        "rate": "15.00",
        "colour": (110, 40, 30),
    },
    {
        "title": "Riverside Snooker & Pool",
        "address": "88 Aghmashenebeli Ave",
        "offset": (0.0100, 0.0020),
        "open": time(8),
        "close": time(0),
        "tables": 5,
        "rate": "10.00",
        "colour": (60, 60, 110),
    },
]
PLAYER_COUNT = 20


def _slugify(title: str) -> str:
    from django.utils.text import slugify

    return slugify(title)


def _jpeg(image: Image.Image) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return ContentFile(buffer.getvalue(), name="seed.jpg")


def _table_positions(count: int) -> list[tuple[Decimal, Decimal]]:
    columns = 4 if count > 6 else 3
    rows = (count + columns - 1) // columns
    positions = []
    for index in range(count):
        row, column = divmod(index, columns)
        top = Decimal(15 + row * (70 / max(rows - 1, 1))).quantize(Decimal("0.01"))
        left = Decimal(12 + column * (76 / max(columns - 1, 1))).quantize(Decimal("0.01"))
        positions.append((top, left))
    return positions


def _floor_plan(positions: list[tuple[Decimal, Decimal]]) -> ContentFile:
    width, height = 1200, 800
    image = Image.new("RGB", (width, height), (235, 225, 205))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, width - 10, height - 10), outline=(90, 70, 50), width=8)
    for number, (top, left) in enumerate(positions, start=1):
        x, y = float(left) / 100 * width, float(top) / 100 * height
        draw.rounded_rectangle(
            (x - 70, y - 40, x + 70, y + 40), radius=12, fill=(20, 110, 60), outline=(80, 45, 20), width=8
        )
        draw.text((x - 4, y - 6), str(number), fill=(255, 255, 255))
    return _jpeg(image)


def _photo(colour: tuple[int, int, int], variant: int) -> ContentFile:
    image = Image.new("RGB", (960, 640), colour)
    draw = ImageDraw.Draw(image)
    shade = tuple(min(255, c + 40 * variant) for c in colour)
    draw.rounded_rectangle((180, 170, 780, 470), radius=40, fill=shade, outline=(70, 40, 15), width=30)
    for index in range(7):
        draw.ellipse((400 + index * 22, 300, 420 + index * 22, 320), fill=(200, 30 * index, 40))
    return _jpeg(image)


class Command(BaseCommand):
    help = "Create or refresh the demo halls, players, staff and admin (never with production settings)."

    def handle(self, *args: Any, **options: Any) -> None:
        if str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".prod"):
            raise CommandError("seed refuses to run with production settings.")
        password = settings.DEMO_PASSWORD
        rng = random.Random(1848)
        with transaction.atomic():
            halls = [self._hall(spec, index) for index, spec in enumerate(HALLS, start=1)]
            self._players(password, rng)
            for index, hall in enumerate(halls, start=1):
                self._staff(f"staff{index}", hall, password)
            self._admin(password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(halls)} halls, players player1..player{PLAYER_COUNT}, "
                f"staff staff1..staff{len(halls)}, superuser admin; password '{password}'."
            )
        )

    def _hall(self, spec: dict[str, Any], index: int) -> PoolHouse:
        latitude = CITY_CENTRE[0] + spec["offset"][0]
        longitude = CITY_CENTRE[1] + spec["offset"][1]
        hall, created = PoolHouse.objects.update_or_create(
            slug=_slugify(spec["title"]),
            defaults={
                "title": spec["title"],
                "address": f"{spec['address']}, Tbilisi",
                "latitude": latitude,
                "longitude": longitude,
                "open_time": spec["open"],
                "close_time": spec["close"],
                "time_zone": "Asia/Tbilisi",
                "currency": "GEL",
            },
        )
        positions = _table_positions(spec["tables"])
        for number, (top, left) in enumerate(positions, start=1):
            PoolTable.objects.update_or_create(
                hall=hall, number=number, defaults={"top": top, "left": left, "hourly_rate": Decimal(spec["rate"])}
            )
        if not hall.room_image:
            hall.room_image.save("plan.jpg", _floor_plan(positions), save=True)
        for variant in range(2 - hall.pics.count()):
            photo = HallPhoto(hall=hall)
            photo.image.save("photo.jpg", _photo(spec["colour"], variant), save=True)
        self.stdout.write(f"  hall {index}/{len(HALLS)}: {hall.title} ({'created' if created else 'updated'})")
        return hall

    def _players(self, password: str, rng: random.Random) -> None:
        for number in range(1, PLAYER_COUNT + 1):
            user = self._user(f"player{number}", password, first_name="Player", last_name=str(number))
            player = player_ensure(user=user)
            # Half of them are in the lobby, so the matchmaking list has someone to show.
            looking = number % 2 == 0
            Player.objects.filter(pk=player.pk).update(
                inviting_to_play=looking,
                looking_since=timezone.now() if looking else None,
                rating=round(rng.uniform(1250, 1850), 1),
                rating_deviation=round(rng.uniform(60, 180), 1),
                latitude=CITY_CENTRE[0] + rng.uniform(-0.035, 0.035),
                longitude=CITY_CENTRE[1] + rng.uniform(-0.045, 0.045),
            )
        self.stdout.write(f"  players: player1..player{PLAYER_COUNT}")

    def _staff(self, username: str, hall: PoolHouse, password: str) -> None:
        user = self._user(username, password, is_staff=True, first_name="Staff", last_name=hall.title)
        HallStaff.objects.get_or_create(hall=hall, user=user)
        self.stdout.write(f"  staff: {username} runs {hall.title}")

    def _admin(self, password: str) -> None:
        self._user("admin", password, is_staff=True, is_superuser=True)
        self.stdout.write("  superuser: admin")

    @staticmethod
    def _user(username: str, password: str, **fields: Any) -> User:
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@strikem.local"})
        for name, value in fields.items():
            setattr(user, name, value)
        user.is_active = True
        user.set_password(password)
        user.save()
        return user
