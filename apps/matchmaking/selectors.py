from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apps.accounts.models import Player
from apps.core.geo import distance_m
from apps.matchmaking import exceptions
from apps.matchmaking.lobby import lobby_index, ranked_ids
from apps.matchmaking.models import Invitation, Matchup, Message
from apps.social.selectors import blocked_either_way_ids, blocks_of

MAX_LIST = 200


def denial_cooldown_start() -> datetime:
    """A denial answered after this still hides the denier from the inviter (DENIAL_COOLDOWN_SECONDS)."""
    return timezone.now() - timedelta(seconds=settings.DENIAL_COOLDOWN_SECONDS)


def _recent_denials() -> QuerySet[Invitation]:
    return Invitation.objects.filter(status=Invitation.Status.DENIED, answered_at__gt=denial_cooldown_start())


def denied_me_recently_ids(player: Player) -> QuerySet[Invitation, Any]:
    """Ids of players who denied my invitation within the cooldown (hidden from my list)."""
    return _recent_denials().filter(player_inviting=player).values("player_invited_id")


def player_denied_recently(*, inviter: Player, invitee: Player) -> bool:
    """Whether `invitee` denied `inviter` within the cooldown."""
    return _recent_denials().filter(player_inviting=inviter, player_invited=invitee).exists()


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
    return Invitation.objects.filter(
        player_inviting=inviter,
        player_invited=invitee,
        status=Invitation.Status.PENDING,
        expires_at__gt=timezone.now(),
    )


def matchup_open_between(first: Player, second: Player) -> Matchup | None:
    """Their chat, if neither has hidden it."""
    return Matchup.objects.filter(
        Q(player_inviting=first, player_accepting=second, inviting_hidden=False, accepting_hidden=False)
        | Q(player_inviting=second, player_accepting=first, inviting_hidden=False, accepting_hidden=False)
    ).first()


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
    minutes = 0.0
    if player.inviting_to_play and player.looking_since is not None:
        minutes = max(0.0, (timezone.now() - player.looking_since).total_seconds() / 60)
    widened = settings.MATCHMAKING_RATING_WINDOW + settings.MATCHMAKING_WINDOW_GROWTH_PER_MINUTE * minutes
    return float(min(widened, settings.MATCHMAKING_WINDOW_MAX))


def matchmaking_list(*, player: Player, by_rating: bool, by_location: bool, limit: int = 50) -> list[Player]:
    """Players looking for a game, best fit first: never me, nobody who denied me within the cooldown,
    nobody I already have an open chat with, nobody I block or who blocks me; rating window and distance
    are applied to the lobby index.

    Fit = rating gap / window + distance / radius, lowest first. Two steps keep it fast at 10,000 waiting
    players: rank ids from the process's lobby index (apps/matchmaking/lobby.py; the few excluded ids are
    read first), then load just the page of players. Each gets `distance` (m).
    """
    window = rating_window(player)
    chats = Matchup.objects.filter(
        Q(player_inviting=player, inviting_hidden=False) | Q(player_accepting=player, accepting_hidden=False)
    ).values_list("player_inviting_id", "player_accepting_id")
    excluded = {player.pk, *(pk for pair in chats for pk in pair)}
    excluded.update(denied_me_recently_ids(player).values_list("player_invited_id", flat=True))
    excluded.update(blocked_either_way_ids(player))
    located = player.latitude is not None and player.longitude is not None
    ranked = ranked_ids(
        lobby_index(),
        rating=player.rating,
        window=window,
        latitude=player.latitude,
        longitude=player.longitude,
        radius_m=settings.MATCHMAKING_RADIUS_KM * 1000.0,
        by_rating=by_rating,
        by_location=by_location,
        excluded=excluded,
        limit=max(1, min(limit, MAX_LIST)),
    )
    # Deactivated accounts are dropped from the page (the lobby index does not join users).
    page = Player.objects.select_related("user").filter(user__is_active=True).in_bulk(ranked)
    players = [page[pk] for pk in ranked if pk in page]
    for candidate in players:
        both = located and candidate.latitude is not None and candidate.longitude is not None
        candidate.distance = (  # type: ignore[attr-defined]
            distance_m(player.latitude, player.longitude, candidate.latitude, candidate.longitude)  # type: ignore[arg-type]
            if both
            else None
        )
    return players


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
