import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import Player, User
from apps.halls.models import HallPhoto, HallStaff, PoolHouse, PoolTable

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "halls": PoolHouse.objects.count(),
        "tables": PoolTable.objects.count(),
        "photos": HallPhoto.objects.count(),
        "players": Player.objects.count(),
        "users": User.objects.count(),
        "staff": HallStaff.objects.count(),
    }


def test_seed_creates_the_demo_and_is_idempotent(settings, client):
    settings.DEMO_PASSWORD = "demo-pass-for-test"
    call_command("seed", stdout=open("/dev/null", "w"))
    first = _counts()
    assert first["halls"] == 4 and first["players"] == 20 and first["staff"] == 4
    assert Player.objects.filter(inviting_to_play=True).count() == 10  # the lobby is not empty
    assert all(hall.room_image for hall in PoolHouse.objects.all())
    call_command("seed", stdout=open("/dev/null", "w"))
    assert _counts() == first
    assert User.objects.get(username="admin").is_superuser
    staff1 = User.objects.get(username="staff1")
    assert staff1.is_staff and not Player.objects.filter(user=staff1).exists()
    assert client.login(username="player7", password="demo-pass-for-test")


def test_seed_refuses_production_settings(settings):
    settings.SETTINGS_MODULE = "strikem.settings.prod"
    with pytest.raises(CommandError):
        call_command("seed")
