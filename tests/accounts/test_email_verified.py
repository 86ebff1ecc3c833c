"""The "email verified" fact (User.email_verified) that decides who gets reminder emails: set by the
activation link, by a code mailed to the address and by a Google sign-in; cleared whenever the address
changes; and, for accounts that existed before it, filled in by a data migration."""

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.accounts.models import User, VerificationCode
from apps.accounts.services import user_email_set, verification_code_send
from apps.notifications.selectors import email_verified
from tests.accounts.test_codes_and_google import _code_from_mail, google_keys, jwks, send_code  # noqa: F401
from tests.accounts.test_registration_and_login import GOOD, _activation_path, register  # noqa: F401
from tests.factories import PlayerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _verified(username: str) -> bool:
    return User.objects.get(username=username).email_verified


def test_the_activation_link_proves_the_address(api, register):  # noqa: F811
    register()
    user = User.objects.get(username=GOOD["username"])
    assert not user.email_verified and not email_verified(user)
    assert api.get(_activation_path()).status_code == 200
    user.refresh_from_db()
    assert user.email_verified and email_verified(user)


def test_without_activation_the_address_stays_unproven_until_a_mailed_code_is_used(
    api,
    register,  # noqa: F811
    send_code,  # noqa: F811
    settings,
):
    settings.ACCOUNT_ACTIVATION_REQUIRED = False
    register()
    assert not _verified(GOOD["username"])
    email = GOOD["email"].lower()
    send_code(email)
    wrong = "000000" if _code_from_mail() != "000000" else "111111"
    assert api.post("/users/verify-code-forget/", {"email": email, "code": wrong}).status_code == 400
    assert not _verified(GOOD["username"])  # a wrong guess proves nothing
    assert api.post("/users/verify-code-forget/", {"email": email, "code": _code_from_mail()}).status_code == 200
    assert _verified(GOOD["username"])


def test_a_google_sign_in_proves_the_address_of_a_new_and_of_an_existing_account(api, google_keys, settings):  # noqa: F811
    token = google_keys.token(settings.GOOGLE_CLIENT_ID, email="fresh@gmail.com")
    assert api.post("/users/google-auth/", {"id_token": token}).status_code == 200
    assert User.objects.get(email="fresh@gmail.com").email_verified

    existing = PlayerFactory(user__email="g.player@gmail.com", user__email_verified=False).user
    unverified = google_keys.token(settings.GOOGLE_CLIENT_ID, verified=False)
    assert api.post("/users/google-auth/", {"id_token": unverified}).status_code == 401
    existing.refresh_from_db()
    assert not existing.email_verified  # Google did not vouch for it
    verified = google_keys.token(settings.GOOGLE_CLIENT_ID)
    assert api.post("/users/google-auth/", {"id_token": verified}).status_code == 200
    existing.refresh_from_db()
    assert existing.email_verified


def test_a_new_address_is_unproven_and_the_codes_mailed_to_the_old_one_die(api, django_capture_on_commit_callbacks):
    user = UserFactory(email="old@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        verification_code_send(user=user)
    code = _code_from_mail()

    user_email_set(user=user, email="OLD@Example.com ")  # the same address in another case
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("old@example.com", True)
    assert VerificationCode.objects.filter(user=user, consumed_at__isnull=True).count() == 1

    user_email_set(user=user, email="new@example.com")
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("new@example.com", False)
    # The code went to the old address: it can neither prove the new one nor set a password.
    answer = api.post("/users/verify-code-forget/", {"email": "new@example.com", "code": code})
    assert (answer.status_code, answer.json()["error"]) == (400, "INVALID_CODE")
    assert not User.objects.get(pk=user.pk).email_verified

    UserFactory(email="taken@example.com")
    with pytest.raises(Exception) as refused:
        user_email_set(user=user, email="Taken@example.com")
    assert getattr(refused.value, "code", None) == "EMAIL_TAKEN"


def _admin_change(client, user: User, **changes) -> int:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": timezone.localtime(user.date_joined).strftime("%Y-%m-%d"),
        "date_joined_1": timezone.localtime(user.date_joined).strftime("%H:%M:%S"),
        **changes,
    }
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data).status_code


def test_changing_the_address_in_the_admin_clears_the_fact(client):
    admin = User.objects.create_superuser("root", "root@example.com", "a-long-admin-pass-91")
    client.force_login(admin)
    player = PlayerFactory(user__email="player@example.com").user
    assert _admin_change(client, player, first_name="Grace") == 302
    player.refresh_from_db()
    assert (player.first_name, player.email_verified) == ("Grace", True)  # another field: still proven
    assert _admin_change(client, player, email="moved@example.com") == 302
    player.refresh_from_db()
    assert (player.email, player.email_verified) == ("moved@example.com", False)
    assert mail.outbox == []


def test_another_accounts_address_in_the_admin_is_a_form_error_in_any_case(client):
    admin = User.objects.create_superuser("root", "root@example.com", "a-long-admin-pass-91")
    client.force_login(admin)
    PlayerFactory(user__email="taken@example.com")
    player = PlayerFactory(user__email="player@example.com").user
    assert _admin_change(client, player, email="TAKEN@example.com") == 200  # the form again, with the error
    player.refresh_from_db()
    assert (player.email, player.email_verified) == ("player@example.com", True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("activation_required", [True, False])
def test_the_data_migration_marks_existing_active_accounts(settings, activation_required):
    settings.ACCOUNT_ACTIVATION_REQUIRED = activation_required
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0004_user_email_verified")])
    try:
        rows = {
            "activated": {"is_active": True, "password": make_password("x-long-pass-1")},
            "google": {"is_active": True, "password": make_password(None)},
            "inactive": {"is_active": False, "password": make_password("x-long-pass-1")},
            "no-address": {"is_active": True, "password": make_password(None), "email": ""},
        }
        for name, fields in rows.items():
            User.objects.create(**{"username": name, "email": f"{name}@example.com", **fields})
        executor = MigrationExecutor(connection)
        executor.migrate([("accounts", "0005_mark_proven_addresses")])
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    marked = set(User.objects.filter(email_verified=True).values_list("username", flat=True))
    assert marked == ({"activated", "google"} if activation_required else {"google"})
