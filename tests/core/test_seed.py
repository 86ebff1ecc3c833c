import io
from datetime import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import Player, User
from apps.halls.models import HallPhoto, HallStaff, PoolHouse, PoolTable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_demo_night(settings):
    """The demo tournament night depends on the hour (a hall must be open); tests/tournaments/test_demo.py
    seeds it with the clock pinned."""
    settings.SEED_DEMO_NIGHT = False


def _counts() -> dict[str, int]:
    return {
        "halls": PoolHouse.objects.count(),
        "tables": PoolTable.objects.count(),
        "photos": HallPhoto.objects.count(),
        "players": Player.objects.count(),
        "users": User.objects.count(),
        "staff": HallStaff.objects.count(),
    }


def _seed() -> str:
    out = io.StringIO()
    call_command("seed", stdout=out)
    return out.getvalue()


def test_seed_creates_the_demo_and_is_idempotent(settings, client):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    _seed()
    first = _counts()
    assert first["halls"] == 4 and first["players"] == 20 and first["staff"] == 4
    assert Player.objects.filter(inviting_to_play=True).count() == 10  # the lobby is not empty
    assert all(hall.room_image for hall in PoolHouse.objects.all())
    assert first["photos"] == 8
    assert "nothing missing" in _seed()
    assert _counts() == first
    assert User.objects.get(username="admin").is_superuser
    staff1 = User.objects.get(username="staff1")
    assert staff1.is_staff and not Player.objects.filter(user=staff1).exists()
    assert client.login(username="player7", password="demo-pass-for-test")


def test_seed_refuses_production_settings(settings):
    settings.SETTINGS_MODULE = "strikem.settings.prod"
    with pytest.raises(CommandError):
        call_command("seed")


def test_seeding_again_keeps_what_staff_changed():
    _seed()
    hall = PoolHouse.objects.get(slug="cue-club-vake")
    PoolHouse.objects.filter(pk=hall.pk).update(open_time=time(11), close_time=time(21), currency="EUR")
    table = PoolTable.objects.get(hall=hall, number=1)
    PoolTable.objects.filter(pk=table.pk).update(hourly_rate=Decimal("99.00"), out_of_service=True, top=Decimal("50"))
    player = Player.objects.get(user__username="player4")
    Player.objects.filter(pk=player.pk).update(rating=2222.0, inviting_to_play=False, looking_since=None)
    user = User.objects.get(username="player7")
    user.first_name = "Renamed"
    user.set_password("changed-by-player")
    user.save()
    staff = User.objects.get(username="staff2")
    staff.is_active = False
    staff.save()
    HallPhoto.objects.filter(hall=hall).delete()
    PoolHouse.objects.filter(pk=hall.pk).update(room_image="")

    assert "nothing missing" in _seed()

    hall.refresh_from_db()
    assert (hall.open_time, hall.close_time, hall.currency) == (time(11), time(21), "EUR")
    assert not hall.room_image and not hall.pics.exists()  # staff removed the demo pictures: they stay removed
    table.refresh_from_db()
    assert (table.hourly_rate, table.out_of_service, table.top) == (Decimal("99.00"), True, Decimal("50"))
    player.refresh_from_db()
    assert (player.rating, player.inviting_to_play) == (2222.0, False)
    user.refresh_from_db()
    assert user.first_name == "Renamed" and user.check_password("changed-by-player")
    assert not User.objects.get(username="staff2").is_active


def test_seeding_again_creates_missing_rows_only(settings, client):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    _seed()
    first = _counts()
    hall = PoolHouse.objects.get(slug="eight-ball-saburtalo")
    PoolTable.objects.filter(hall=hall, number=6).delete()
    PoolTable.objects.filter(hall=hall, number=1).update(hourly_rate=Decimal("7.50"))
    User.objects.filter(username="player3").delete()
    PoolHouse.objects.filter(slug="old-town-billiards").delete()
    HallStaff.objects.filter(user__username="staff1").delete()

    output = _seed()

    assert "created 1 halls, 11 tables, 1 accounts, 1 players, 2 staff memberships" in output
    assert _counts() == first
    assert PoolTable.objects.get(hall=hall, number=1).hourly_rate == Decimal("7.50")
    recreated = PoolHouse.objects.get(slug="old-town-billiards")
    assert recreated.room_image and recreated.pics.count() == 2 and recreated.tables.count() == 10
    assert client.login(username="player3", password="demo-pass-for-test")


def test_a_renamed_demo_account_or_hall_is_not_created_twice():
    _seed()
    first = _counts()
    User.objects.filter(username="player5").update(username="ace")
    PoolHouse.objects.filter(slug="cue-club-vake").update(slug="vake-cue-club")

    assert "nothing missing" in _seed()

    assert _counts() == first
    assert not User.objects.filter(username="player5").exists()
