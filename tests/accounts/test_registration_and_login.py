import re

import pytest
from django.core import mail

from apps.accounts.models import Player, User
from tests.factories import PASSWORD, PlayerFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newplayer",
    "password": "a-long-and-unusual-pass-42",
    "email": "New.Player@Example.com",
    "first_name": "New",
    "last_name": "Player",
}


def _activation_path() -> str:
    assert len(mail.outbox) == 1
    match = re.search(r"/activate/([^/\s]+)/([^/\s]+)", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return f"/users/activate/{match[1]}/{match[2]}/"


@pytest.fixture
def register(api, django_capture_on_commit_callbacks):
    """POST the registration and run its after-commit work (the email), as a real commit would."""

    def post(data=GOOD):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post("/auth/users/", data, format="json")

    return post


def test_registration_creates_inactive_user_with_player_and_mails_activation_link(register, settings):
    settings.FRONTEND_URL = "https://play.strikem.test"
    response = register()
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "newplayer"
    assert body["email"] == "new.player@example.com"
    user = User.objects.get(username="newplayer")
    assert not user.is_active
    assert Player.objects.filter(user=user, rating=1500.0).exists()
    assert "https://play.strikem.test/activate/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["new.player@example.com"]


def test_login_is_refused_until_the_account_is_activated(api, register):
    register()
    credentials = {"username": GOOD["username"], "password": GOOD["password"]}
    assert api.post("/auth/jwt/create", credentials, format="json").status_code == 401

    activation = api.get(_activation_path())
    assert activation.status_code == 200

    response = api.post("/auth/jwt/create", credentials, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_activation_link_works_once(api, register):
    register()
    path = _activation_path()
    assert api.get(path).status_code == 200
    again = api.get(path)
    assert again.status_code == 400
    assert again.json()["error"] == "ACTIVATION_LINK_INVALID"


def test_forged_activation_link_is_rejected(api):
    api.post("/auth/users/", GOOD, format="json")
    user = User.objects.get(username="newplayer")
    response = api.get("/users/activate/MQ/not-a-token/")
    assert response.status_code == 400
    assert response.json()["error"] == "ACTIVATION_LINK_INVALID"
    user.refresh_from_db()
    assert not user.is_active


def test_activation_can_be_switched_off(api, register, settings):
    settings.ACCOUNT_ACTIVATION_REQUIRED = False
    assert register().status_code == 201
    assert mail.outbox == []
    login = api.post("/auth/jwt/create", {"username": "newplayer", "password": GOOD["password"]}, format="json")
    assert login.status_code == 200


def test_username_is_taken_case_insensitively(api, player):
    response = api.post("/auth/users/", {**GOOD, "username": player.user.username.upper()}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "USERNAME_TAKEN"


def test_email_is_unique(api, player):
    response = api.post("/auth/users/", {**GOOD, "email": player.user.email.upper()}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "EMAIL_TAKEN"


@pytest.mark.parametrize("password", ["short", "12345678901", "password123", "newplayer1"])
def test_weak_passwords_are_refused_by_django_validators(api, password):
    response = api.post("/auth/users/", {**GOOD, "password": password}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert "password" in body["fields"]
    assert not User.objects.filter(username="newplayer").exists()


def test_missing_and_malformed_fields_are_reported_per_field(api):
    response = api.post("/auth/users/", {"username": "x y", "email": "nope"}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"username", "email", "password"}
    assert all(isinstance(messages, list) and messages for messages in fields.values())


def test_login_with_wrong_password_is_401(api, player):
    response = api.post("/auth/jwt/create", {"username": player.user.username, "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "AUTHENTICATION_FAILED"


def test_login_with_unknown_user_is_401(api):
    response = api.post("/auth/jwt/create/", {"username": "ghost", "password": PASSWORD}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("scheme", ["JWT", "Bearer"])
def test_both_authorization_schemes_are_accepted(api, player, scheme):
    tokens = api.post("/auth/jwt/create", {"username": player.user.username, "password": PASSWORD}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"{scheme} {tokens.json()['access']}")
    response = api.get("/users/current-user")
    assert response.status_code == 200
    assert response.json()["id"] == player.id


def test_refresh_rotates_and_the_old_refresh_token_is_blacklisted(api, player):
    tokens = api.post("/auth/jwt/create", {"username": player.user.username, "password": PASSWORD}, format="json")
    old_refresh = tokens.json()["refresh"]

    rotated = api.post("/auth/jwt/refresh", {"refresh": old_refresh}, format="json")
    assert rotated.status_code == 200
    new_refresh = rotated.json()["refresh"]
    assert new_refresh != old_refresh
    assert rotated.json()["access"]

    replay = api.post("/auth/jwt/refresh", {"refresh": old_refresh}, format="json")
    assert replay.status_code == 401
    assert replay.json()["error"] == "TOKEN_INVALID"

    assert api.post("/auth/jwt/refresh/", {"refresh": new_refresh}, format="json").status_code == 200


def test_verify_accepts_a_good_token_and_rejects_garbage(api, player):
    tokens = api.post("/auth/jwt/create", {"username": player.user.username, "password": PASSWORD}, format="json")
    assert api.post("/auth/jwt/verify", {"token": tokens.json()["access"]}, format="json").status_code == 200
    assert api.post("/auth/jwt/verify", {"token": "garbage"}, format="json").status_code == 401


def test_access_token_lifetime_defaults_to_a_day(settings):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() == 24 * 3600


def test_login_of_another_player_is_unaffected_by_a_failed_login(api):
    first, second = PlayerFactory(), PlayerFactory()
    api.post("/auth/jwt/create", {"username": first.user.username, "password": "bad"}, format="json")
    ok = api.post("/auth/jwt/create", {"username": second.user.username, "password": PASSWORD}, format="json")
    assert ok.status_code == 200
