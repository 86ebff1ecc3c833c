"""Every write to accounts and players. Views, admin and tasks call these; none re-implements a rule."""

import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from apps.accounts import emails
from apps.accounts.exceptions import (
    ActivationLinkInvalid,
    EmailTaken,
    InvalidCode,
    InvalidKey,
    UsernameTaken,
    WrongPassword,
)
from apps.accounts.google import google_identity_verify
from apps.accounts.models import Player, User, VerificationCode
from apps.accounts.selectors import active_user_by_email, email_in_use
from apps.core.compiled import CompiledValues
from apps.core.images import image_normalize
from apps.core.redis import async_redis_client, redis_client
from apps.notifications.services import devices_forget

WS_TICKET_PREFIX = "ws-ticket:"


class _ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Like the password-reset token, but bound to `is_active`, so an activation link works once."""

    key_salt = "strikem.accounts.activation"

    def _make_hash_value(self, user: User, timestamp: int) -> str:  # type: ignore[override]
        return f"{user.pk}{user.is_active}{timestamp}{user.email}"


activation_token_generator = _ActivationTokenGenerator()


def _validate_password(password: str, user: User) -> None:
    """Django's validators; their ValidationError becomes a `password` field error in the envelope."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def _ensure_username_free(username: str, *, exclude_user_id: int | None = None) -> None:
    taken = User.objects.filter(username__iexact=username)
    if exclude_user_id is not None:
        taken = taken.exclude(pk=exclude_user_id)
    if taken.exists():
        raise UsernameTaken()


@transaction.atomic
def user_register(*, username: str, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Create an inactive user with a player and mail the activation link after commit.

    When activation is switched off by configuration the account is active at once.
    """
    email = email.strip().lower()
    _ensure_username_free(username)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken()
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_active=not settings.ACCOUNT_ACTIVATION_REQUIRED,
    )
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # A racing registration took the name or email between the check and the insert.
        raise UsernameTaken("That username or email was just taken.") from exc
    player_ensure(user=user)
    if not user.is_active:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = activation_token_generator.make_token(user)
        transaction.on_commit(lambda: emails.send_activation_email(user=user, uid=uid, token=token))
    return user


def player_ensure(*, user: User) -> Player:
    """Give a playing account its player profile (idempotent); staff accounts are created without one."""
    player, _created = Player.objects.get_or_create(user=user, defaults={"rating": settings.STARTING_RATING})
    return player


def user_activate(*, uid: str, token: str) -> User:
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uid))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist) as exc:
        raise ActivationLinkInvalid() from exc
    if user.is_active or not activation_token_generator.check_token(user, token):
        raise ActivationLinkInvalid()
    # The link was mailed to this address (its token is bound to it): using it proves the address.
    user.is_active = True
    user.email_verified = True
    user.save(update_fields=["is_active", "email_verified"])
    return user


@transaction.atomic
def user_email_set(*, user: User, email: str) -> User:
    """Give the account another address. A new address is unproven (reminders stop mailing it until it is
    verified again) and the live codes, mailed to the old one, die. The same address in another case
    changes nothing else."""
    email = email.strip().lower()
    if email_in_use(email=email, other_than=user.pk):
        raise EmailTaken()
    stored = User.objects.select_for_update().filter(pk=user.pk).values_list("email", flat=True).first() or ""
    user.email = email
    if stored.lower() != email:
        user.email_verified = False
        VerificationCode.objects.filter(user=user, consumed_at__isnull=True).update(consumed_at=timezone.now())
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified"])
    except IntegrityError as exc:
        raise EmailTaken() from exc
    return user


def _check_current_password(user: User, password: str) -> None:
    if user.has_usable_password() and not user.check_password(password):
        raise WrongPassword()


def user_set_password(*, user: User, current_password: str, new_password: str) -> None:
    if not user.has_usable_password():
        raise WrongPassword("This account has no password yet; set one with the emailed code.")
    _check_current_password(user, current_password)
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])


@transaction.atomic
def user_set_username(*, user: User, current_password: str, new_username: str) -> None:
    _check_current_password(user, current_password)
    _ensure_username_free(new_username, exclude_user_id=user.pk)
    user.username = new_username
    try:
        with transaction.atomic():
            user.save(update_fields=["username"])
    except IntegrityError as exc:
        raise UsernameTaken() from exc


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Delete the account; the player and everything that belongs only to it go with it (cascade). Its
    phones' SNS endpoints are deleted after commit (through the outbox), so nothing is pushed to them again."""
    _check_current_password(user, password)
    player = Player.objects.filter(user=user).first()
    if player is not None:
        devices_forget(player=player)
    user.delete()


def player_set_location(*, player: Player, latitude: float, longitude: float) -> Player:
    player.latitude = latitude
    player.longitude = longitude
    player.save(update_fields=["latitude", "longitude"])
    return player


def player_set_profile_image(*, player: Player, upload: UploadedFile) -> Player:
    content = image_normalize(upload=upload, max_side=512, square=True)
    old = player.profile_image.name if player.profile_image else None
    player.profile_image.save(content.name or "avatar.jpg", content, save=False)
    player.save(update_fields=["profile_image"])
    if old:
        player.profile_image.storage.delete(old)
    return player


# --- Emailed codes -------------------------------------------------------------------------------


def _hash_secret(value: str) -> str:
    return salted_hmac("strikem.accounts.code", value).hexdigest()


def verification_code_send(*, email: str | None = None, user: User | None = None) -> None:
    """Email a fresh 6-digit code to the account with that email, if there is one.

    Says nothing either way, so the answer never tells whether an email is registered. Earlier live
    codes of the user are retired: only the newest works.
    """
    if user is None:
        user = active_user_by_email(email)
    if user is None:
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        VerificationCode.objects.filter(user=user, consumed_at__isnull=True).update(consumed_at=now)
        VerificationCode.objects.create(
            user=user,
            code_hash=_hash_secret(code),
            expires_at=now + timedelta(minutes=settings.VERIFICATION_CODE_TTL_MINUTES),
        )
        transaction.on_commit(lambda: emails.send_code_email(user=user, code=code))


def verification_code_verify(*, code: str, email: str | None = None, user: User | None = None) -> str:
    """Exchange a live code for a single-use key. Wrong guesses count; past the limit the code dies.

    The counted attempt is committed before the error is raised, so guessing cannot roll it back.
    """
    if user is None:
        user = active_user_by_email(email)
    if user is None:
        raise InvalidCode()
    now = timezone.now()
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        record = (
            VerificationCode.objects.select_for_update()
            .filter(user=user, consumed_at__isnull=True, verified_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        accepted = (
            record is not None
            and record.attempts < settings.VERIFICATION_CODE_MAX_ATTEMPTS
            and constant_time_compare(record.code_hash, _hash_secret(str(code).strip()))
        )
        if record is not None and not accepted:
            record.attempts += 1
            record.save(update_fields=["attempts"])
        elif record is not None:
            record.verified_at = now
            record.key_hash = _hash_secret(key)
            record.key_expires_at = now + timedelta(minutes=settings.PASSWORD_KEY_TTL_MINUTES)
            record.save(update_fields=["verified_at", "key_hash", "key_expires_at"])
            # The code was mailed to the current address (a change of address retires live codes).
            User.objects.filter(pk=user.pk).update(email_verified=True)
    if not accepted:
        raise InvalidCode()
    return key


def password_set_with_key(*, key: str, password: str, email: str | None = None, user: User | None = None) -> None:
    if user is None:
        user = active_user_by_email(email)
    if user is None:
        raise InvalidKey()
    now = timezone.now()
    with transaction.atomic():
        record = (
            VerificationCode.objects.select_for_update()
            .filter(user=user, key_hash=_hash_secret(str(key)), consumed_at__isnull=True, key_expires_at__gt=now)
            .first()
        )
        if record is None:
            raise InvalidKey()
        _validate_password(password, user)
        record.consumed_at = now
        record.save(update_fields=["consumed_at"])
        user.password = make_password(password)
        user.save(update_fields=["password"])


# --- Google sign-in and socket tickets ----------------------------------------------------------


def _free_username(base: str) -> str:
    base = "".join(ch for ch in base if ch.isalnum() or ch in "._-")[:140] or "player"
    candidate = base
    while User.objects.filter(username__iexact=candidate).exists():
        candidate = f"{base}{secrets.randbelow(100_000)}"
    return candidate


@transaction.atomic
def user_google_sign_in(*, id_token: str) -> User:
    """Sign in (or sign up) with a verified Google ID token; the email is the link between accounts.

    A new account has no usable password; the player can set one later with an emailed code.
    """
    identity = google_identity_verify(id_token=id_token)  # only a token whose email_verified is true passes
    user = User.objects.filter(email__iexact=identity.email).first()
    if user is not None:
        if not (user.is_active and user.email_verified):
            # Google has verified the address, which is what activation proves.
            user.is_active = True
            user.email_verified = True
            user.save(update_fields=["is_active", "email_verified"])
        return user
    user = User(
        username=_free_username(identity.email.split("@")[0]),
        email=identity.email,
        first_name=identity.given_name,
        last_name=identity.family_name,
        is_active=True,
        email_verified=True,
    )
    user.set_unusable_password()
    user.save()
    player_ensure(user=user)
    return user


def ws_ticket_issue(*, user: User) -> str:
    """A single-use, short-lived ticket for the socket URL, kept in Redis (the socket redeems it)."""
    ticket = str(uuid.uuid4())
    redis_client().set(f"{WS_TICKET_PREFIX}{ticket}", user.pk, ex=settings.WS_TICKET_TTL_SECONDS)
    return ticket


async def ws_ticket_redeem(*, ticket: str) -> int | None:
    """The user id behind a ticket, or None; GETDEL makes a ticket redeem exactly once. Async: the socket
    redeems it while connecting, on Daphne's event loop."""
    raw = await async_redis_client().getdel(f"{WS_TICKET_PREFIX}{ticket}")
    return int(raw) if raw is not None else None


def players_lock(players: Iterable[Player]) -> dict[int, Player]:
    """Lock these players' rows (with their users), always in id order, so that two actions locking the
    same players never deadlock; the locked rows by id. The caller's transaction holds the locks."""
    ids = sorted({player.pk for player in players})
    return {
        player.pk: player
        for player in Player.objects.select_for_update().select_related("user").filter(pk__in=ids).order_by("pk")
    }


# Two players locked by id, compiled once per process (apps/core/compiled.py): the invitation's hot path
# (bench/push_latency.py). Marker values stand where the ids go.
_PAIR_FIELDS = ("id", "user_id", "profile_image", "user__username", "user__is_active")
_PAIR_LOCK = CompiledValues(
    lambda first, second: (
        Player.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk").values(*_PAIR_FIELDS)
    ),
    first=-7_300_001,
    second=-7_300_002,
)


def players_pair_lock(first_id: int, second_id: int) -> dict[int, Player]:
    """Lock two players' rows (with their users) by id, in id order as `players_lock` does, without loading
    them first; the players found, by id. Only what a message or a frame about them needs is read (id, user
    id, picture, username, is_active): any other field loads from the database when it is first read.
    The caller's transaction holds the locks."""
    players = {}
    for row in _PAIR_LOCK(first=first_id, second=second_id):
        player = Player.from_db(
            "default", ["id", "user_id", "profile_image"], [row["id"], row["user_id"], row["profile_image"]]
        )
        player.user = User.from_db(
            "default", ["id", "username", "is_active"], [row["user_id"], row["user__username"], row["user__is_active"]]
        )
        players[player.pk] = player
    return players
