from typing import Any

from django.conf import settings
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from apps.accounts.models import Player
from apps.core.geo import bounding_box, distance_m, planar_m
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

    Fit = rating gap / window + distance / radius, lowest first. Two steps keep it fast at 10,000 waiting
    players: rank ids in SQL (the few excluded ids are read first, so no correlated subquery per row,
    and distance is plain arithmetic), then load just the page of players. Each gets `distance` (m).
    """
    window = rating_window(player)
    radius_m = settings.MATCHMAKING_RADIUS_KM * 1000.0
    chats = Matchup.objects.filter(
        Q(player_inviting=player, inviting_hidden=False) | Q(player_accepting=player, accepting_hidden=False)
    ).values_list("player_inviting_id", "player_accepting_id")
    excluded = {player.pk, *(pk for pair in chats for pk in pair)}
    excluded.update(denied_me_recently_ids(player).values_list("player_invited_id", flat=True))
    # No join to users here (it would cost a lookup per candidate); deactivated accounts are dropped
    # from the page below.
    candidates = Player.objects.filter(inviting_to_play=True).exclude(pk__in=excluded)
    if by_rating:
        candidates = candidates.filter(rating__gte=player.rating - window, rating__lte=player.rating + window)
    score: Any = Abs(F("rating") - Value(player.rating)) / Value(window)
    located = player.latitude is not None and player.longitude is not None
    if located:
        assert player.latitude is not None and player.longitude is not None
        distance = planar_m(
            latitude=player.latitude, longitude=player.longitude, lat_field="latitude", lng_field="longitude"
        )
        if by_location:
            min_lat, max_lat, min_lng, max_lng = bounding_box(
                latitude=player.latitude, longitude=player.longitude, radius_km=radius_m / 1000
            )
            candidates = (
                candidates.filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng))
                .alias(distance=distance)
                .filter(distance__lte=radius_m)
            )
        score = score + Coalesce(distance, Value(radius_m)) / Value(radius_m)
    ranked = list(
        candidates.annotate(fit=score)
        .order_by("fit", "id")
        .values_list("pk", flat=True)[: max(1, min(limit, MAX_LIST))]
    )
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
