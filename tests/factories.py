import os
from datetime import time
from decimal import Decimal

import factory
from django.conf import settings

from apps.accounts.models import Player, User
from apps.halls.models import HallRating, HallStaff, PoolHouse, PoolTable

PASSWORD = "correct-horse-battery-9"
# The zone of the round-the-clock test halls; `make test-clocks` runs the suite again in a zone with
# daylight-saving changes.
ROUND_THE_CLOCK_ZONE = os.environ.get("STRIKEM_TEST_HALL_ZONE", "UTC")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    is_active = True
    email_verified = True  # an activated account: its link proved the address
    password = factory.django.Password(PASSWORD)


class PlayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Player

    user = factory.SubFactory(UserFactory)
    rating = settings.STARTING_RATING


class StaffUserFactory(UserFactory):
    is_staff = True


class HallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoolHouse

    title = factory.Sequence(lambda n: f"Hall {n}")
    slug = factory.Sequence(lambda n: f"hall-{n}")
    address = "1 Cue Street"
    latitude = 41.7151
    longitude = 44.8271
    open_time = time(10)
    close_time = time(2)
    time_zone = "Asia/Tbilisi"


class TableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoolTable

    hall = factory.SubFactory(HallFactory)
    number = factory.Sequence(lambda n: n + 1)
    top = Decimal("20")
    left = Decimal("30")
    hourly_rate = Decimal("12.00")


class HallStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HallStaff

    hall = factory.SubFactory(HallFactory)
    user = factory.SubFactory(StaffUserFactory)


class HallRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HallRating

    hall = factory.SubFactory(HallFactory)
    rater = factory.SubFactory(PlayerFactory)
    rate = 4
    review = "Good cloth, straight cues."
