from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Abs
from django.utils import timezone

from apps.accounts.models import Player
from apps.core.geo import bounding_box, great_circle_m
from apps.matchmaking.models import Invitation, Matchup, Message
from apps.matchmaking.services import denied_me_recently_ids

MAX_LIST = 200


def rating_window(player: Player) -> float:
    """±points around my rating; it widens with every minute I have been looking for a game."""
    minutes = 0.0
    if player.inviting_to_play and player.looking_since is not None:
        minutes = max(0.0, (timezone.now() - player.looking_since).total_seconds() / 60)
    widened = settings.MATCHMAKING_RATING_WINDOW + settings.MATCHMAKING_WINDOW_GROWTH_PER_MINUTE * minutes
    return float(min(widened, settings.MATCHMAKING_WINDOW_MAX))


def matchmaking_list(*, player: Player, by_rating: bool, by_location: bool, limit: int = 50) -> list[Player]:
    """Players looking for a game, best fit first: never me, nobody who denied me within the cooldown,
    nobody I already have an open chat with; rating window and distance are filtered in the database.

    Fit = rating distance / window + distance / radius (both 0..1 inside the filters), lowest first.
    """
    window = rating_window(player)
    radius_km = settings.MATCHMAKING_RADIUS_KM
    matched = Matchup.objects.filter(
        (Q(player_inviting=player, player_accepting=OuterRef("pk")) & Q(inviting_hidden=False))
        | (Q(player_accepting=player, player_inviting=OuterRef("pk")) & Q(accepting_hidden=False))
    )
    candidates = (
        Player.objects.filter(inviting_to_play=True, user__is_active=True)
        .exclude(pk=player.pk)
        .exclude(pk__in=Subquery(denied_me_recently_ids(player)))
        .exclude(Exists(matched))
        .select_related("user")
    )
    if by_rating:
        candidates = candidates.filter(rating__gte=player.rating - window, rating__lte=player.rating + window)
    score: Any = Abs(F("rating") - Value(player.rating)) / Value(window)
    if player.latitude is not None and player.longitude is not None:
        distance = great_circle_m(
            latitude=player.latitude, longitude=player.longitude, lat_field="latitude", lng_field="longitude"
        )
        if by_location:
            min_lat, max_lat, min_lng, max_lng = bounding_box(
                latitude=player.latitude, longitude=player.longitude, radius_km=radius_km
            )
            candidates = candidates.filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng))
        candidates = candidates.annotate(distance=distance)
        if by_location:
            candidates = candidates.filter(distance__lte=radius_km * 1000)
        score = score + F("distance") / Value(radius_km * 1000.0)
    candidates = candidates.annotate(fit=score).order_by(F("fit").asc(nulls_last=True), "id")
    return list(candidates[: max(1, min(limit, MAX_LIST))])


def invitations_received(*, player: Player) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            player_invited=player, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
        )
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
    read_at = matchup.inviting_read_at if player.pk == matchup.player_inviting_id else matchup.accepting_read_at
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
