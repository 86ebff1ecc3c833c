from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, FloatField, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.selectors import player_rows
from apps.core.compiled import CompiledValues
from apps.core.geo import bounding_box, great_circle_m
from apps.halls.exceptions import HallNotFound, HallRequired
from apps.halls.models import HallPhoto, HallRating, HallStaff, PoolHouse, PoolTable, TableKind
from apps.reservations.models import GameSession, Reservation
from apps.reservations.selectors import HOLDS, live_at


def hall_queryset() -> QuerySet[PoolHouse]:
    """Halls with `avg_rating` (0 when unrated) and `table_count` as subqueries, photos prefetched."""
    average = HallRating.objects.filter(hall=OuterRef("pk")).values("hall").annotate(value=Avg("rate")).values("value")
    tables = PoolTable.objects.filter(hall=OuterRef("pk")).values("hall").annotate(value=Count("id")).values("value")
    return PoolHouse.objects.annotate(
        avg_rating=Coalesce(Subquery(average, output_field=FloatField()), Value(0.0)),
        table_count=Coalesce(Subquery(tables, output_field=IntegerField()), Value(0)),
    ).prefetch_related(Prefetch("pics", queryset=HallPhoto.objects.order_by("id")))


def hall_list() -> QuerySet[PoolHouse]:
    return hall_queryset().order_by("title", "id")


def hall_get(*, hall_id: int | str) -> PoolHouse:
    try:
        return hall_queryset().get(pk=int(hall_id))
    except (ValueError, PoolHouse.DoesNotExist) as exc:
        raise HallNotFound() from exc


def hall_get_plain(*, hall_id: int | str) -> PoolHouse:
    """The hall row alone (no rating or table aggregates), for endpoints that only need the hall."""
    try:
        return PoolHouse.objects.get(pk=int(hall_id))
    except (ValueError, PoolHouse.DoesNotExist) as exc:
        raise HallNotFound() from exc


def hall_get_by_slug(*, slug: str) -> PoolHouse:
    try:
        return PoolHouse.objects.get(slug=slug)
    except PoolHouse.DoesNotExist as exc:
        raise HallNotFound() from exc


def hall_list_near(*, latitude: float, longitude: float, radius_km: float | None = None) -> QuerySet[PoolHouse]:
    """Halls within the radius, nearest first, each with `distance` in metres, all in one SQL query.

    The bounding box lets the (latitude, longitude) index cut the candidates before the trigonometry.
    """
    radius = min(radius_km or settings.HALLS_NEAR_DEFAULT_RADIUS_KM, settings.HALLS_NEAR_MAX_RADIUS_KM)
    min_lat, max_lat, min_lng, max_lng = bounding_box(latitude=latitude, longitude=longitude, radius_km=radius)
    box = Q(latitude__range=(min_lat, max_lat))
    if min_lng >= -180 and max_lng <= 180:
        # Near the antimeridian the longitude window would wrap; the exact distance filter alone decides there.
        box &= Q(longitude__range=(min_lng, max_lng))
    return (
        hall_queryset()
        .filter(box)
        .annotate(
            distance=great_circle_m(latitude=latitude, longitude=longitude, lat_field="latitude", lng_field="longitude")
        )
        .filter(distance__lte=radius * 1000)
        .order_by("distance", "id")
    )


def hall_ratings(*, hall: PoolHouse, stars: int | None = None) -> QuerySet[HallRating]:
    ratings = HallRating.objects.filter(hall=hall).select_related("rater__user").order_by("-timestamp", "-id")
    if stars is not None:
        ratings = ratings.filter(rate=stars)
    return ratings


def hall_photos(*, hall: PoolHouse) -> QuerySet[HallPhoto]:
    return HallPhoto.objects.filter(hall=hall).order_by("id")


def hall_table_kinds(*, hall_id: int) -> list[tuple[str, str]]:
    """(value, label) of the kinds of table the hall has, in the kinds' own order."""
    present = set(PoolTable.objects.filter(hall_id=hall_id).values_list("kind", flat=True).distinct())
    return [(value, label) for value, label in TableKind.choices if value in present]


def hall_ids_staffed_by(user: User) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(HallStaff.objects.filter(user=user).values_list("hall_id", flat=True).order_by("hall_id"))


def hall_from_query(*, hall_id: int | None, user: User | None = None) -> PoolHouse:
    """The hall a request names with ?hall=; without it, the one hall `user` runs (if given and exactly
    one); otherwise HALL_REQUIRED."""
    if hall_id is None and user is not None:
        halls = hall_ids_staffed_by(user)
        hall_id = halls[0] if len(halls) == 1 else None
    if hall_id is None:
        raise HallRequired()
    return hall_get(hall_id=hall_id)


def time_zones_staffed_by(user: User) -> list[str]:
    """The time zones of the halls the user runs (usually one)."""
    if not user.is_authenticated:
        return []
    zones = HallStaff.objects.filter(user=user).values_list("hall__time_zone", flat=True).distinct()
    return sorted(zones)


def hall_staff_user_ids(*, hall_id: int) -> list[int]:
    """The users who run this hall."""
    return list(HallStaff.objects.filter(hall_id=hall_id).values_list("user_id", flat=True).order_by("user_id"))


def user_is_hall_staff(*, user: User, hall: PoolHouse) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or HallStaff.objects.filter(user=user, hall=hall).exists()


_TABLE_FIELDS = ("id", "number", "kind", "top", "left", "out_of_service", "hourly_rate")
_SESSION_FIELDS = (
    "id",
    "table_id",
    "reservation_id",
    "reservation__start_time",
    "reservation__duration",
    "reservation__end_time",
    "reservation__status",
    "reservation__player_reserving_id",
    "reservation__other_player_id",
)

# Compiled once per process (apps/core/compiled.py): the ORM built and compiled these three queries on every
# request, the largest share of this path's CPU. Marker values stand where the parameters go.
_HALL = -7_000_001
_TABLE_ROWS = CompiledValues(
    lambda hall_id: PoolTable.objects.filter(hall_id=hall_id).order_by("number").values(*_TABLE_FIELDS),
    hall_id=_HALL,
)
_RUNNING_ROWS = CompiledValues(
    lambda hall_id: (
        GameSession.objects.filter(table__hall_id=hall_id, ended_at__isnull=True).order_by().values(*_SESSION_FIELDS)
    ),
    hall_id=_HALL,
)


# The hall's tables, their running sessions by table id, those sessions' players by id, and what holds a
# table now for an event (by table id).
TableRows = tuple[list[dict[str, Any]], dict[int, dict[str, Any]], dict[int, dict[str, Any]], dict[int, dict[str, Any]]]


def hall_holds_now(*, hall_id: int) -> dict[int, dict[str, Any]]:
    """The hall's tables held now for a tournament (the booking service's holds, `reservation_create(hold=
    True)`), by table id: which tournament and until when. A hold that a finished tournament released, or
    that is over, holds nothing. Read when the hall's table list is built, not per request (it is kept)."""
    rows = Reservation.objects.filter(HOLDS, live_at(timezone.now()), table__hall_id=hall_id).values(
        "table_id", "end_time", "tournament_hold__tournament_id", "tournament_hold__tournament__name"
    )
    return {
        row["table_id"]: {
            "kind": "tournament",
            "id": row["tournament_hold__tournament_id"],
            "name": row["tournament_hold__tournament__name"],
            "until": row["end_time"],
        }
        for row in rows
    }


def hall_table_rows(*, hall_id: int) -> TableRows:
    """The hall's tables, their running sessions (by table id) and those sessions' players (by id), as
    plain rows: short queries whatever the number of tables, no model instances, and the tables held for a
    tournament. This is the hall page's hot path (bench/rest_hot_path.py), though kept between changes
    (apps/halls/snapshot.py): the first three queries are compiled once, each build binds and fetches."""
    tables = _TABLE_ROWS(hall_id=int(hall_id))
    running = {row["table_id"]: row for row in _RUNNING_ROWS(hall_id=int(hall_id))}
    player_ids = sorted(
        {
            player_id
            for row in running.values()
            for player_id in (row["reservation__player_reserving_id"], row["reservation__other_player_id"])
            if player_id is not None
        }
    )
    players = {row["id"]: row for row in player_rows(player_ids)}
    return tables, running, players, hall_holds_now(hall_id=int(hall_id))
