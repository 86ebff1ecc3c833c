"""Device registration for mobile pushes, and the push settings (time zone, quiet hours, kinds)."""

import pytest

from apps.notifications.models import Device
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

FCM_TOKEN = "cX9f3kQ2Tn6:APA91bH-" + "a1B2c3D4e5" * 14
APNS_TOKEN = "ab12" * 16


def test_register_is_idempotent_and_lists_my_devices(client_for, player):
    client = client_for(player.user)
    first = client.post("/api/devices/", {"platform": "FCM", "token": FCM_TOKEN})
    assert first.status_code == 201
    again = client.post("/api/devices/", {"platform": "FCM", "token": FCM_TOKEN})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    iphone = client.post("/api/devices/", {"platform": "APNS", "token": APNS_TOKEN})
    assert iphone.status_code == 201
    assert [row["id"] for row in client.get("/api/devices/").json()] == [iphone.json()["id"], first.json()["id"]]
    assert client_for(PlayerFactory().user).get("/api/devices/").json() == []


@pytest.mark.parametrize(
    ("platform", "token"),
    [
        ("FCM", "short"),
        ("FCM", "x" * 513),  # oversized
        ("FCM", "y" * 100_000),  # far oversized
        ("FCM", "has spaces in it and is long enough to pass the length rule"),
        ("APNS", "zz" * 32),  # not hexadecimal
        ("APNS", FCM_TOKEN),
        ("FCM", ""),
    ],
)
def test_a_malformed_or_oversized_token_is_refused_with_a_code(client_for, player, platform, token):
    answer = client_for(player.user).post("/api/devices/", {"platform": platform, "token": token}, format="json")
    assert (answer.status_code, answer.json()["error"]) == (400, "INVALID_DEVICE_TOKEN")
    assert not Device.objects.exists()


def test_an_unknown_platform_or_a_token_of_the_wrong_type_is_a_validation_error(client_for, player):
    client = client_for(player.user)
    for body in ({"platform": "WNS", "token": FCM_TOKEN}, {"platform": "FCM", "token": ["x"]}, {"platform": "FCM"}):
        answer = client.post("/api/devices/", body, format="json")
        assert (answer.status_code, answer.json()["error"]) == (400, "VALIDATION_ERROR"), body


def test_a_token_registered_again_moves_to_the_new_player(client_for, player, other_player):
    client_for(player.user).post("/api/devices/", {"platform": "FCM", "token": FCM_TOKEN})
    client_for(other_player.user).post("/api/devices/", {"platform": "FCM", "token": FCM_TOKEN})
    (device,) = Device.objects.all()
    assert device.player == other_player


def test_only_my_own_device_can_be_removed(client_for, player, other_player):
    device = client_for(player.user).post("/api/devices/", {"platform": "APNS", "token": APNS_TOKEN}).json()
    theirs = client_for(other_player.user).delete(f"/api/devices/{device['id']}/")
    assert (theirs.status_code, theirs.json()["error"]) == (404, "DEVICE_NOT_FOUND")
    assert client_for(player.user).delete(f"/api/devices/{device['id']}/").status_code == 204
    assert not Device.objects.exists()
    assert client_for(player.user).delete(f"/api/devices/{device['id']}/").status_code == 404


def test_beyond_the_limit_the_oldest_devices_go(client_for, player, settings):
    settings.DEVICES_PER_PLAYER_MAX = 2
    client = client_for(player.user)
    ids = [client.post("/api/devices/", {"platform": "APNS", "token": f"{n:02x}" * 32}).json()["id"] for n in range(3)]
    assert sorted(Device.objects.values_list("pk", flat=True)) == ids[1:]


def test_push_settings_default_then_change(client_for, player):
    client = client_for(player.user)
    assert client.get("/api/push-settings/").json() == {
        "time_zone": "UTC",
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "muted": [],
        "always": [],
    }
    changed = client.put(
        "/api/push-settings/",
        {"time_zone": "Asia/Tbilisi", "quiet_hours_start": "22:00", "quiet_hours_end": "07:30", "muted": ["MSG"]},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["quiet_hours_start"] == "22:00:00" and changed.json()["muted"] == ["MSG"]
    kept = client.put("/api/push-settings/", {"always": ["INV", "INV"]}, format="json").json()
    assert kept["time_zone"] == "Asia/Tbilisi" and kept["muted"] == ["MSG"] and kept["always"] == ["INV"]
    cleared = client.put("/api/push-settings/", {"quiet_hours_start": None, "quiet_hours_end": None}, format="json")
    assert cleared.json()["quiet_hours_start"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"time_zone": "Mars/Olympus"}, "INVALID_TIME_ZONE"),
        ({"quiet_hours_start": "22:00"}, "QUIET_HOURS_INCOMPLETE"),
        ({"muted": ["RSV"]}, "VALIDATION_ERROR"),  # not a push kind
        ({"always": "INV"}, "VALIDATION_ERROR"),
        ({"quiet_hours_end": "25:00"}, "VALIDATION_ERROR"),
    ],
)
def test_bad_push_settings_are_refused_with_a_code(client_for, player, body, code):
    answer = client_for(player.user).put("/api/push-settings/", body, format="json")
    assert (answer.status_code, answer.json()["error"]) == (400, code)
