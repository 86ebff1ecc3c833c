"""Demo data for `make run`: halls with floor plans and photos, players, hall staff and an admin.

It creates what is missing and never changes a row that exists: `make run` seeds on every start, and
what staff changed through the admin (a hall's hours, a table, a player) must survive a restart. A row
is looked up by its natural key (a hall's slug or title, a table's number in its hall, a user's username
or email), so a renamed row is not created a second time.
"""

import io
import random
from collections import Counter
from datetime import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from apps.accounts.models import Player, User
from apps.accounts.services import player_ensure
from apps.halls.models import HallPhoto, HallStaff, PoolHouse, PoolTable
from apps.tournaments.demo import demo_night

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
    help = "Create the demo halls, players, staff and admin that are missing (never with production settings)."

    def handle(self, *args: Any, **options: Any) -> None:
        if str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".prod"):
            raise CommandError("seed refuses to run with production settings.")
        password = settings.DEMO_PASSWORD
        # One hash for every demo account: hashing is deliberately slow (~0.4 s each here) and these
        # accounts share one known password anyway.
        password_hash = make_password(password)
        self.created: Counter[str] = Counter(
            dict.fromkeys(["halls", "tables", "accounts", "players", "staff memberships"], 0)
        )
        rng = random.Random(1848)
        with transaction.atomic():
            halls = [self._hall(spec) for spec in HALLS]
            self._players(password_hash, rng)
            for index, hall in enumerate(halls, start=1):
                self._staff(f"staff{index}", hall, password_hash)
            self._user("admin", password_hash, is_staff=True, is_superuser=True)
        made = ", ".join(f"{count} {kind}" for kind, count in self.created.items() if count)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo: {f'created {made}' if made else 'nothing missing'}; existing rows are left as they are. "
                f"Logins player1..player{PLAYER_COUNT}, staff1..staff{len(halls)}, admin; "
                f"password '{password}' (unless changed since)."
            )
        )
        # After the rest has committed: the night's games advance its bracket in their own transactions.
        self.stdout.write(f"Tournament: {demo_night(halls=halls, password_hash=password_hash)}.")

    def _hall(self, spec: dict[str, Any]) -> PoolHouse:
        slug = slugify(spec["title"])
        hall = PoolHouse.objects.filter(Q(slug=slug) | Q(title=spec["title"])).order_by("pk").first()
        positions = _table_positions(spec["tables"])
        if hall is None:
            hall = PoolHouse.objects.create(
                slug=slug,
                title=spec["title"],
                address=f"{spec['address']}, Tbilisi",
                latitude=CITY_CENTRE[0] + spec["offset"][0],
                longitude=CITY_CENTRE[1] + spec["offset"][1],
                open_time=spec["open"],
                close_time=spec["close"],
                time_zone="Asia/Tbilisi",
                currency="GEL",
            )
            # Pictures come with a new hall only: staff may have replaced or removed the demo ones.
            hall.room_image.save("plan.jpg", _floor_plan(positions), save=True)
            for variant in range(2):
                photo = HallPhoto(hall=hall)
                photo.image.save("photo.jpg", _photo(spec["colour"], variant), save=True)
            self.created["halls"] += 1
        for number, (top, left) in enumerate(positions, start=1):
            _table, created = PoolTable.objects.get_or_create(
                hall=hall, number=number, defaults={"top": top, "left": left, "hourly_rate": Decimal(spec["rate"])}
            )
            self.created["tables"] += created
        return hall

    def _players(self, password_hash: str, rng: random.Random) -> None:
        for number in range(1, PLAYER_COUNT + 1):
            # Drawn for every player, so player N gets the same demo values whichever others exist.
            demo = {
                "rating": round(rng.uniform(1250, 1850), 1),
                "rating_deviation": round(rng.uniform(60, 180), 1),
                "latitude": CITY_CENTRE[0] + rng.uniform(-0.035, 0.035),
                "longitude": CITY_CENTRE[1] + rng.uniform(-0.045, 0.045),
            }
            user = self._user(f"player{number}", password_hash, first_name="Player", last_name=str(number))
            if Player.objects.filter(user=user).exists():
                continue
            player = player_ensure(user=user)
            # Half of them are in the lobby, so the matchmaking list has someone to show.
            looking = number % 2 == 0
            Player.objects.filter(pk=player.pk).update(
                inviting_to_play=looking, looking_since=timezone.now() if looking else None, **demo
            )
            self.created["players"] += 1

    def _staff(self, username: str, hall: PoolHouse, password_hash: str) -> None:
        user = self._user(username, password_hash, is_staff=True, first_name="Staff", last_name=hall.title)
        _membership, created = HallStaff.objects.get_or_create(hall=hall, user=user)
        self.created["staff memberships"] += created

    def _user(self, username: str, password_hash: str, **fields: Any) -> User:
        email = f"{username}@strikem.local"
        user = User.objects.filter(Q(username=username) | Q(email=email)).order_by("pk").first()
        if user is None:
            user = User.objects.create(username=username, email=email, password=password_hash, is_active=True, **fields)
            self.created["accounts"] += 1
        return user
