import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import numpy as np
from django.conf import settings
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from apps.accounts.models import Player
from apps.accounts.selectors import player_rows
from apps.core.compiled import CompiledValues
from apps.core.geo import distances_m
from apps.matchmaking import exceptions
from apps.matchmaking.lobby import ME_FIELDS, LobbyIndex, kept_off, lobby_read, ranked_ids
from apps.matchmaking.models import Invitation, Matchup, Message
from apps.notifications.models import Device
from apps.social.models import Block
from apps.social.selectors import block_rows, blocks_of

MAX_LIST = 200


def denial_cooldown_start() -> datetime:
    """A denial answered after this still hides the denier from the inviter (DENIAL_COOLDOWN_SECONDS)."""
    return timezone.now() - timedelta(seconds=settings.DENIAL_COOLDOWN_SECONDS)


def _recent_denials(since: datetime | None = None) -> QuerySet[Invitation]:
    """Denials answered after `since` (default: the cooldown's start)."""
    return Invitation.objects.filter(status=Invitation.Status.DENIED, answered_at__gt=since or denial_cooldown_start())


def denied_me_recently_ids(player: Player) -> QuerySet[Invitation, Any]:
    """Ids of players who denied my invitation within the cooldown (hidden from my list)."""
    return _recent_denials().filter(player_inviting=player).values("player_invited_id")


def denied_pairs(player_ids: Iterable[int]) -> set[frozenset[int]]:
    """Pairs among these players' invitations that were denied within the cooldown."""
    rows = _recent_denials().filter(player_inviting__in=list(player_ids))
    return {frozenset(pair) for pair in rows.values_list("player_inviting_id", "player_invited_id")}


def met_pairs(player_ids: Iterable[int]) -> set[frozenset[int]]:
    """Pairs among these players' chats (open or hidden): they have met already."""
    ids = list(player_ids)
    rows = Matchup.objects.filter(Q(player_inviting__in=ids) | Q(player_accepting__in=ids))
    return {frozenset(pair) for pair in rows.values_list("player_inviting_id", "player_accepting_id")}


def invitation_pending(*, inviter: Player, invitee: Player) -> QuerySet[Invitation]:
    """The live invitation from `inviter` to `invitee` (at most one), as a queryset to lock or test."""
    return _pending_between(inviter.pk, invitee.pk, timezone.now())


def _pending_between(inviter_id: int, invitee_id: int, now: datetime) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        player_inviting_id=inviter_id,
        player_invited_id=invitee_id,
        status=Invitation.Status.PENDING,
        expires_at__gt=now,
    )


def matchup_open_between(first: Player, second: Player) -> Matchup | None:
    """Their chat, if neither has hidden it."""
    return _open_chats_between(first.pk, second.pk).first()


def _open_chats_between(first_id: int, second_id: int) -> QuerySet[Matchup]:
    return Matchup.objects.filter(
        Q(player_inviting_id=first_id, player_accepting_id=second_id)
        | Q(player_inviting_id=second_id, player_accepting_id=first_id),
        inviting_hidden=False,
        accepting_hidden=False,
    )


def matchup_of_member(*, matchup_id: UUID | str, player: Player) -> Matchup:
    """The matchup if `player` is one of its two members; anybody else is told it does not exist."""
    try:
        matchup = Matchup.objects.select_related("player_inviting__user", "player_accepting__user").get(
            pk=UUID(str(matchup_id))
        )
    except (ValueError, Matchup.DoesNotExist) as exc:
        raise exceptions.MatchupNotFound() from exc
    if player.pk not in matchup.member_ids():
        raise exceptions.MatchupNotFound()
    return matchup


def rating_window(player: Player) -> float:
    """±points around my rating; it widens with every minute I have been looking for a game."""
    return _window(inviting_to_play=player.inviting_to_play, looking_since=player.looking_since)


def _window(*, inviting_to_play: bool, looking_since: datetime | None) -> float:
    minutes = 0.0
    if inviting_to_play and looking_since is not None:
        minutes = max(0.0, (timezone.now() - looking_since).total_seconds() / 60)
    widened = settings.MATCHMAKING_RATING_WINDOW + settings.MATCHMAKING_WINDOW_GROWTH_PER_MINUTE * minutes
    return float(min(widened, settings.MATCHMAKING_WINDOW_MAX))


# The matchmaking list is the lobby's hot path (bench/matchmaking_list.py): its queries are compiled once
# per process (apps/core/compiled.py); marker values stand where the parameters go.
_USER, _PLAYER, _SINCE = -7_200_001, -7_200_002, datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC)
_ME = CompiledValues(
    lambda user_id: Player.objects.filter(user_id=user_id).values(*ME_FIELDS),
    user_id=_USER,
)
_NO_TIME = Value(None, output_field=DateTimeField())
# Everyone kept off my list, in one query, as (one id, the other id, when a denial was answered): my open
# chats' members, who denied me (filtered by the cooldown when the list is built, so the rows can be kept:
# apps/matchmaking/lobby.py's kept_off), and the players I block or who block me.
_KEPT_OFF = CompiledValues(
    lambda player_id: (
        Matchup.objects.filter(
            Q(player_inviting_id=player_id, inviting_hidden=False)
            | Q(player_accepting_id=player_id, accepting_hidden=False)
        )
        .order_by()
        .values_list("player_inviting_id", "player_accepting_id", _NO_TIME)
        .union(
            Invitation.objects.filter(player_inviting_id=player_id, status=Invitation.Status.DENIED)
            .order_by()
            .values_list("player_invited_id", "player_inviting_id", "answered_at"),
            Block.objects.filter(Q(blocker_id=player_id) | Q(blocked_id=player_id))
            .order_by()
            .values_list("blocker_id", "blocked_id", _NO_TIME),
            all=True,
        )
    ),
    constants=(False, Invitation.Status.DENIED),
    player_id=_PLAYER,
)


# What sending an invitation must know about the pair, in one query compiled once per process, read after
# both players are locked (so it sees every change committed before): blocks both ways, a live invitation
# of mine to them, their denial within the cooldown, an open chat of ours, and whether the invitee has a
# phone to push to. The invitation's hot path (bench/push_latency.py); it asked these in six queries.
_INVITER, _INVITEE, _NOW = -7_200_011, -7_200_012, datetime(2001, 2, 3, 4, 5, 7, 8, tzinfo=UTC)
_INVITATION_CHECKS = CompiledValues(
    lambda inviter_id, invitee_id, now, since: (
        Player.objects.filter(pk=invitee_id)
        .order_by()
        .values(
            i_block_them=Exists(block_rows(blocker_id=inviter_id, blocked_id=invitee_id)),
            they_block_me=Exists(block_rows(blocker_id=invitee_id, blocked_id=inviter_id)),
            pending=Exists(_pending_between(inviter_id, invitee_id, now)),
            denied_recently=Exists(
                _recent_denials(since).filter(player_inviting_id=inviter_id, player_invited_id=invitee_id)
            ),
            open_chat=Exists(_open_chats_between(inviter_id, invitee_id)),
            invitee_has_device=Exists(Device.objects.filter(player_id=invitee_id)),
        )
    ),
    constants=(1, False, Invitation.Status.PENDING, Invitation.Status.DENIED),  # 1: EXISTS selects it
    inviter_id=_INVITER,
    invitee_id=_INVITEE,
    now=_NOW,
    since=_SINCE,
)


def invitation_checks(*, inviter_id: int, invitee_id: int) -> dict[str, bool]:
    """What may stop `inviter_id` inviting `invitee_id` (see _INVITATION_CHECKS), one flag each; all False
    when the invitee does not exist."""
    rows = _INVITATION_CHECKS(
        inviter_id=inviter_id, invitee_id=invitee_id, now=timezone.now(), since=denial_cooldown_start()
    )
    return rows[0] if rows else dict.fromkeys(_CHECK_NAMES, False)


_CHECK_NAMES = ("i_block_them", "they_block_me", "pending", "denied_recently", "open_chat", "invitee_has_device")


def lobby_me(*, user_id: int, index: LobbyIndex | None = None) -> dict[str, Any] | None:
    """What the matchmaking list needs of the asking user's player (None: the account has no player):
    from the lobby index when they wait in it (as fresh as the index), else from the database."""
    if index is not None and (row := index.me_row(user_id)) is not None:
        return row
    rows = _ME(user_id=user_id)
    return rows[0] if rows else None


def matchmaking_list(
    *, user_id: int, by_rating: bool, by_location: bool, limit: int = 50
) -> tuple[dict[str, Any] | None, list[tuple[dict[str, Any], float | None]]]:
    """The asking user's lobby row (`lobby_me`; None: no player, and no page) and the players looking for
    a game, best fit first, as (row, distance in metres or None): rows of
    apps.accounts.selectors.player_rows, shared with other requests (read only). Never me, nobody who
    denied me within the cooldown, nobody I already have an open chat with, nobody I block or who blocks
    me, no deactivated account; rating window and distance are applied to the lobby index.

    Fit = rating gap / window + distance / radius, lowest first. Two steps keep it fast at 10,000 waiting
    players: rank ids from the process's lobby index (apps/matchmaking/lobby.py; whom I am kept from is
    kept with it), then take the page's rows from the index's own (reading those it lacks).
    """
    index, kept_token = lobby_read(user_id)
    me = lobby_me(user_id=user_id, index=index)
    if me is None or not me["user__is_active"]:
        return me, []
    window = _window(inviting_to_play=me["inviting_to_play"], looking_since=me["looking_since"])
    excluded = {me["id"]}
    since = denial_cooldown_start()
    player_id = me["id"]
    for first, second, denied_at in kept_off(user_id, kept_token, lambda: _kept_off_rows(player_id)):
        if denied_at is None or denied_at > since:
            excluded.update((first, second))
    latitude, longitude = me["latitude"], me["longitude"]
    ranked = ranked_ids(
        index,
        rating=me["rating"],
        window=window,
        latitude=latitude,
        longitude=longitude,
        radius_m=settings.MATCHMAKING_RADIUS_KM * 1000.0,
        by_rating=by_rating,
        by_location=by_location,
        excluded=excluded,
        limit=max(1, min(limit, MAX_LIST)),
    )
    missing = [pk for pk in ranked if pk not in index.rows]
    if missing:
        index.rows.update((row["id"], row) for row in player_rows(missing))
    # Deactivated accounts are dropped from the page.
    cards = [card for pk in ranked if (card := index.rows.get(pk)) is not None and card["user__is_active"]]
    if latitude is None or longitude is None:
        return me, [(card, None) for card in cards]
    nan = math.nan
    metres = distances_m(
        latitude,
        longitude,
        np.array([nan if card["latitude"] is None else card["latitude"] for card in cards], dtype=np.float64),
        np.array([nan if card["longitude"] is None else card["longitude"] for card in cards], dtype=np.float64),
    ).tolist()
    return me, [(card, None if math.isnan(far) else far) for card, far in zip(cards, metres, strict=True)]


def _kept_off_rows(player_id: int) -> list[tuple[int, int, datetime | None]]:
    return [tuple(row.values()) for row in _KEPT_OFF(player_id=player_id)]  # type: ignore[misc]


def invitations_received(*, player: Player) -> QuerySet[Invitation]:
    """Pending invitations to me; those from players I block were never delivered and are not listed."""
    return (
        Invitation.objects.filter(
            player_invited=player, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
        )
        .exclude(player_inviting__in=blocks_of(player=player).values("blocked"))
        .select_related("player_inviting__user")
        .order_by("-created_at")
    )


def invitations_sent(*, player: Player) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        player_inviting=player, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def matchups_of(*, player: Player) -> QuerySet[Matchup]:
    """My chats, newest activity first, each with its last message and my read state."""
    last = Message.objects.filter(matchup=OuterRef("pk")).order_by("-time_sent", "-id")
    return (
        Matchup.objects.filter(
            Q(player_inviting=player, inviting_hidden=False) | Q(player_accepting=player, accepting_hidden=False)
        )
        .select_related("player_inviting__user", "player_accepting__user")
        .annotate(
            last_body=Subquery(last.values("body")[:1]),
            last_sender_id=Subquery(last.values("sender_id")[:1]),
        )
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at")
    )


def matchup_is_read_by(matchup: Matchup, player: Player) -> bool:
    if matchup.last_message_at is None:
        return True
    read_at = getattr(matchup, matchup.read_field_of(player.pk))
    return read_at is not None and read_at >= matchup.last_message_at


def unread_matchups_count(*, player: Player) -> int:
    mine_inviting = Q(player_inviting=player, inviting_hidden=False, last_message_at__isnull=False) & (
        Q(inviting_read_at__isnull=True) | Q(inviting_read_at__lt=F("last_message_at"))
    )
    mine_accepting = Q(player_accepting=player, accepting_hidden=False, last_message_at__isnull=False) & (
        Q(accepting_read_at__isnull=True) | Q(accepting_read_at__lt=F("last_message_at"))
    )
    return Matchup.objects.filter(mine_inviting | mine_accepting).count()


def chat_messages(*, matchup: Matchup) -> QuerySet[Message]:
    return Message.objects.filter(matchup=matchup).select_related("sender__user").order_by("-time_sent", "-id")
