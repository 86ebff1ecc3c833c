"""Reading tournaments: lists, one tournament with its draw, its matches, and the figures the board shows.

The snapshot (the REST detail, the socket's `tournament_snapshot`, the TV page) is read in a fixed
number of queries whatever the size of the draw, and shaped as plain dicts by `shapes.snapshot_data`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum
from django.utils import timezone

from apps.core.compiled import CompiledValues
from apps.reservations.models import GameSession, Reservation
from apps.reservations.selectors import live_at
from apps.tournaments import formats
from apps.tournaments.exceptions import TournamentNotFound
from apps.tournaments.models import Entry, Match, Tournament, TournamentTable

# Below this many racks measured at a hall, its minutes per rack are the default.
MEASURED_RACKS_NEEDED = 20


def tournament_get(*, tournament_id: int | str) -> Tournament:
    try:
        return Tournament.objects.select_related("hall").get(pk=int(tournament_id))
    except (ValueError, Tournament.DoesNotExist) as exc:
        raise TournamentNotFound() from exc


def tournament_list(*, hall_id: int | None = None, state: str | None = None) -> QuerySet[Tournament]:
    tournaments = Tournament.objects.select_related("hall", "champion__user")
    if hall_id is not None:
        tournaments = tournaments.filter(hall_id=hall_id)
    if state:
        tournaments = tournaments.filter(state=state)
    return tournaments.order_by("-starts_at", "-id")


def tournament_ids_on_table(*, table_id: int) -> list[int]:
    """The running tournaments that hold this table now."""
    return list(
        TournamentTable.objects.filter(
            live_at(timezone.now(), via="hold__"), table_id=table_id, tournament__state=Tournament.State.RUNNING
        )
        .values_list("tournament_id", flat=True)
        .distinct()
    )


def hall_minutes_per_rack(*, hall_id: int) -> float:
    """Minutes a rack takes at this hall, measured over its decided tournament matches played on a table;
    the default (TOURNAMENT_MINUTES_PER_RACK) until enough racks were played."""
    played = Match.objects.filter(
        tournament__hall_id=hall_id,
        state=Match.State.DONE,
        forfeit=False,
        session__minutes_played__isnull=False,
    ).aggregate(minutes=Sum("session__minutes_played"), racks=Sum(F("score_a") + F("score_b")))
    racks = played["racks"] or 0
    if racks < MEASURED_RACKS_NEEDED or not played["minutes"]:
        return float(settings.TOURNAMENT_MINUTES_PER_RACK)
    return round(played["minutes"] / racks, 2)


@dataclass(slots=True)
class EntryRow:
    """An entry as the snapshot shows it (plain values: building model instances was most of its time)."""

    pk: int
    player_id: int
    username: str
    rating: float
    seed: int | None
    status: str
    checked_in: bool
    rating_at_draw: float | None


@dataclass(slots=True)
class MatchRow:
    pk: int
    key: str
    bracket: str
    round: int
    stage: int
    group: str
    source_a: str
    source_b: str
    final: bool
    reset: bool
    state: str
    player_a_id: int | None
    player_b_id: int | None
    race_a: int
    race_b: int
    win_probability_a: float | None
    score_a: int
    score_b: int
    winner_id: int | None
    forfeit: bool
    table_id: int | None
    on_table_id: int | None
    called_at: datetime | None

    @property
    def id(self) -> int:
        return self.pk


_ENTRY_FIELDS = ("id", "player_id", "player__user__username", "player__rating", "seed", "status")
_MATCH_FIELDS = tuple(name for name in MatchRow.__dataclass_fields__ if name != "pk")


def entry_rows(*, tournament_id: int, entry_ids: list[int] | None = None) -> list[EntryRow]:
    entries = Entry.objects.filter(tournament_id=tournament_id)
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids)
    return [
        EntryRow(
            pk=row["id"],
            player_id=row["player_id"],
            username=row["player__user__username"],
            rating=row["player__rating"],
            seed=row["seed"],
            status=row["status"],
            checked_in=row["checked_in_at"] is not None,
            rating_at_draw=row["rating_at_draw"],
        )
        for row in entries.order_by("seed", "id").values(*_ENTRY_FIELDS, "checked_in_at", "rating_at_draw")
    ]


def match_rows(*, tournament_id: int) -> list[MatchRow]:
    return [
        MatchRow(pk=row.pop("id"), **row)
        for row in Match.objects.filter(tournament_id=tournament_id).order_by("id").values("id", *_MATCH_FIELDS)
    ]


@dataclass
class SnapshotRows:
    """Everything a snapshot shows, read at once."""

    tournament: Tournament
    entries: list[EntryRow]
    matches: list[MatchRow]
    tables: list[dict[str, Any]]
    table_numbers: dict[int, int]
    minutes_per_rack: float
    estimates: dict[int, Any]


def snapshot_rows(*, tournament_id: int | str) -> SnapshotRows:
    """The rows of a tournament's snapshot: five queries whatever the size of the draw, plain values."""
    tournament = Tournament.objects.select_related("hall", "champion__user").filter(pk=int(tournament_id)).first()
    if tournament is None:
        raise TournamentNotFound()
    matches = match_rows(tournament_id=tournament.pk)
    tables: list[dict[str, Any]] = [
        dict(row)
        for row in TournamentTable.objects.filter(tournament=tournament)
        .order_by("table__number")
        .values("table_id", "table__number")
    ]
    minutes_per_rack = hall_minutes_per_rack(hall_id=tournament.hall_id)
    return SnapshotRows(
        tournament=tournament,
        entries=entry_rows(tournament_id=tournament.pk),
        matches=matches,
        tables=tables,
        table_numbers={row["table_id"]: row["table__number"] for row in tables},
        minutes_per_rack=minutes_per_rack,
        estimates=match_estimates(
            tournament=tournament, matches=matches, tables=tables, minutes_per_rack=minutes_per_rack
        ),
    )


def _expected_racks(match: MatchRow) -> float:
    return formats.racks_left(match.race_a - match.score_a, match.race_b - match.score_b)


def match_estimates(
    *, tournament: Tournament, matches: list[MatchRow], tables: list[dict[str, Any]], minutes_per_rack: float
) -> dict[int, Any]:
    """{match id: estimated start} for every match still to be called, from the running matches' scores,
    the races and the hall's minutes per rack (see formats.estimate_starts)."""
    if tournament.state != Tournament.State.RUNNING:
        return {}
    now = timezone.now()
    by_key = {match.key: match for match in matches}
    running = [
        formats.Running(match.key, (match.player_a_id or 0, match.player_b_id or 0), _expected_racks(match))
        for match in matches
        if match.state == Match.State.ON_TABLE
    ]
    open_states = (Match.State.READY, Match.State.PENDING)
    waiting = []
    for match in sorted((m for m in matches if m.state in open_states), key=lambda m: (m.stage, m.id)):
        feeders = tuple(
            ref
            for source in (match.source_a, match.source_b)
            if (ref := source.partition(":")[2]) in by_key
            and by_key[ref].state not in (Match.State.DONE, Match.State.VOID, Match.State.PLAYED)
        )
        waiting.append(
            formats.Waiting(
                match.key,
                (match.player_a_id, match.player_b_id),
                feeders,
                formats.racks_left(match.race_a, match.race_b),
            )
        )
    busy_tables = {match.on_table_id for match in matches if match.on_table_id is not None}
    free_tables = sum(1 for row in tables if row["table_id"] not in busy_tables)
    minutes = formats.estimate_starts(
        free_tables=free_tables, running=running, waiting=waiting, minutes_per_rack=minutes_per_rack
    )
    return {by_key[key].pk: now + timedelta(minutes=value) for key, value in minutes.items()}


@dataclass(frozen=True, slots=True)
class FreeTable:
    """A tournament table that can take a match now, and its hold as the reading transaction saw it (the id,
    table, state and hours that starting a game inside it checks; its other fields load if asked for)."""

    table_id: int
    number: int
    hold: Reservation


_HOLD_FIELDS = ("hold_id", "hold__table_id", "hold__status", "hold__start_time", "hold__end_time")
# Compiled once per process (apps/core/compiled.py): building this query (three tables, two subqueries) was
# the largest part of the CPU a freed table spends before its next match is called. Markers stand where
# the parameters go.
_TOURNAMENT, _NOW = -7_300_001, datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC)
_FREE_TABLES = CompiledValues(
    lambda tournament_id, now: (
        TournamentTable.objects.filter(
            live_at(now, via="hold__"), tournament_id=tournament_id, table__out_of_service=False
        )
        .exclude(Exists(Match.objects.filter(on_table=OuterRef("table_id"))))
        .exclude(Exists(GameSession.objects.filter(table=OuterRef("table_id"), ended_at__isnull=True)))
        .order_by("table__number")
        .values("table_id", "table__number", *_HOLD_FIELDS)
    ),
    constants=(Reservation.Status.BOOKED, False, 1),  # 1: the subqueries' `SELECT 1`
    tournament_id=_TOURNAMENT,
    now=_NOW,
)


def _hold(row: dict[str, Any]) -> Reservation:
    """The hold of a free-tables row as a Reservation with only the fields read (`from_db` takes them in the
    model's field order; any other loads on access, as with `.only()`)."""
    read = {"id": row["hold_id"], **{name.removeprefix("hold__"): row[name] for name in _HOLD_FIELDS[1:]}}
    names = [field.attname for field in Reservation._meta.concrete_fields if field.attname in read]
    return Reservation.from_db(None, names, [read[name] for name in names])


def tables_free(*, tournament_id: int, now: datetime) -> list[FreeTable]:
    """The tournament's tables that can take a match at `now`, by number: held then, in service, no match on
    them and no game being played there. One query."""
    return [
        FreeTable(table_id=row["table_id"], number=row["table__number"], hold=_hold(row))
        for row in _FREE_TABLES(tournament_id=tournament_id, now=now)
    ]


def registered_counts(*, tournament_ids: list[int]) -> dict[int, int]:
    """{tournament id: registered players} in one query."""
    rows = (
        Entry.objects.filter(tournament_id__in=tournament_ids, status=Entry.Status.REGISTERED)
        .values("tournament_id")
        .annotate(count=Count("id"))
    )
    return {row["tournament_id"]: row["count"] for row in rows}


def hall_tournaments_now(*, hall_id: int) -> list[dict[str, Any]]:
    """The hall's tournaments taking players or running, each with the numbers of the tables it holds (the
    staff board lists them with a link to their bracket pages)."""
    tournaments = list(
        Tournament.objects.filter(
            hall_id=hall_id, state__in=(Tournament.State.REGISTRATION, Tournament.State.RUNNING)
        ).order_by("starts_at", "id")
    )
    numbers: dict[int, list[int]] = {}
    for tournament_id, number in (
        TournamentTable.objects.filter(tournament__in=tournaments)
        .order_by("table__number")
        .values_list("tournament_id", "table__number")
    ):
        numbers.setdefault(tournament_id, []).append(number)
    return [{"id": t.pk, "name": t.name, "state": t.state, "tables": numbers.get(t.pk, [])} for t in tournaments]
