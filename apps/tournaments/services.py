"""Tournaments: creating one on a hall's tables, registering and checking in, the draw, calling matches to
free tables, results through the ratings service, and the staff's corrections.

Locks: everything that changes a tournament locks its row first, then its matches, then (calling a match)
the table and the players through the booking service, so two staff members, two players and the table
that frees meanwhile act one at a time and never call two matches to one table (a unique column holds it
too: `Match.on_table`). A result becomes final in the ratings service (under the session's and the
players' locks); the bracket advances from there after commit, in a transaction of its own that starts
at the tournament again (`tournament_result_final`), so the two lock orders never meet in one
transaction. A table that frees (a game ended, however) calls the next match the same way
(`tournament_table_freed`). `tournament_tick` (Celery beat) catches up with anything a crash between
commit and those hooks left behind.

Side effects after commit: `match_called` frames to both players' sockets with a stored MATCH_CALLED
notification, `tournament_update` frames to the tournament's watchers.
"""

import logging
import math
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Player, User
from apps.core.exceptions import DomainError
from apps.halls.models import PoolHouse, PoolTable
from apps.halls.selectors import hall_holds_now
from apps.halls.services import hall_staff_require
from apps.notifications.models import Notification
from apps.notifications.services import notification_send, notifications_send
from apps.ratings import services as ratings  # a module import: ratings calls back (README, "Cycles")
from apps.ratings.models import GameResult
from apps.realtime import frames
from apps.realtime.push import push_to_hall_board, push_to_tournament, push_to_users
from apps.reservations import services as reservations  # a module import: reservations calls back
from apps.reservations.exceptions import ReservationError
from apps.social.selectors import blocked_pairs
from apps.tournaments import exceptions, formats, selectors, shapes
from apps.tournaments.models import Entry, Match, Tournament, TournamentTable

logger = logging.getLogger(__name__)
ELIMINATION = (Tournament.Format.SINGLE_ELIMINATION, Tournament.Format.DOUBLE_ELIMINATION)
OPEN = (Match.State.PENDING, Match.State.READY)


# --- Reading under lock --------------------------------------------------------------------------


def _locked(tournament_id: int | str) -> Tournament:
    """The tournament row, locked, in one query (alone: a join would lock the hall too; the hall is read
    when it is needed)."""
    try:
        pk = int(tournament_id)
    except (TypeError, ValueError) as exc:
        raise exceptions.TournamentNotFound() from exc
    try:
        return Tournament.objects.select_for_update().get(pk=pk)
    except Tournament.DoesNotExist as exc:
        raise exceptions.TournamentNotFound() from exc


def _locked_match(tournament: Tournament, match_id: int | str) -> Match:
    """A match of this tournament, locked, in one query; any other is MATCH_NOT_FOUND."""
    try:
        pk = int(match_id)
    except (TypeError, ValueError) as exc:
        raise exceptions.MatchNotFound() from exc
    try:
        return Match.objects.select_for_update().get(tournament=tournament, pk=pk)
    except Match.DoesNotExist as exc:
        raise exceptions.MatchNotFound() from exc


def _staff(user: User, tournament: Tournament) -> None:
    hall_staff_require(user=user, hall=tournament.hall)


# --- Creating --------------------------------------------------------------------------------------


def _check_rules(
    *, format: str, race_to: int, final_race_to: int | None, player_cap: int, groups: int, payout_split: list[Any]
) -> None:
    if format not in Tournament.Format.values:
        raise exceptions.InvalidTournament(f"Unknown format {format!r}.")
    if not 1 <= race_to <= 99 or (final_race_to is not None and not 1 <= final_race_to <= 99):
        raise exceptions.InvalidTournament("Races are 1 to 99 racks.")
    if not 2 <= player_cap <= 128:
        raise exceptions.InvalidTournament("A tournament takes 2 to 128 players.")
    if format == Tournament.Format.ROUND_ROBIN and not 1 <= groups <= player_cap // 2:
        raise exceptions.InvalidTournament("Round robin: every group needs at least two players.")
    if payout_split and (
        any(not isinstance(share, int | float) or share < 0 for share in payout_split) or sum(payout_split) != 100
    ):
        raise exceptions.InvalidTournament("The payout split is percentages that add up to 100.")


def _check_windows(
    registration_opens_at: datetime,
    registration_closes_at: datetime,
    check_in_opens_at: datetime,
    check_in_closes_at: datetime,
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    if not registration_opens_at < registration_closes_at:
        raise exceptions.InvalidTournament("Registration must open before it closes.")
    if not check_in_opens_at < check_in_closes_at <= starts_at:
        raise exceptions.InvalidTournament("Check-in opens, then closes, at the latest when the tournament starts.")
    if not starts_at < ends_at:
        raise exceptions.InvalidTournament("The tournament must end after it starts.")


@transaction.atomic
def tournament_create(
    *,
    hall: PoolHouse,
    staff_user: User,
    name: str,
    table_ids: Iterable[int],
    registration_opens_at: datetime,
    registration_closes_at: datetime,
    check_in_opens_at: datetime,
    check_in_closes_at: datetime,
    starts_at: datetime,
    ends_at: datetime,
    format: str = Tournament.Format.DOUBLE_ELIMINATION,
    game: str = Tournament.Game.EIGHT_BALL,
    seeding: str = Tournament.Seeding.RATING,
    race_to: int = 5,
    final_race_to: int | None = None,
    handicap: bool = False,
    player_cap: int = 32,
    groups: int = 1,
    swiss_rounds: int = 5,
    entry_fee: Decimal = Decimal("0"),
    payout_split: list[Any] | None = None,
) -> Tournament:
    """Staff of the hall create a tournament; each of its tables is held for the tournament's hours through
    the booking service (a hold: a staff walk-in), so no player booking can take them. Times without an
    offset are the hall's own."""
    hall_staff_require(user=staff_user, hall=hall)
    zone = ZoneInfo(hall.time_zone)
    registration_opens_at, registration_closes_at, check_in_opens_at, check_in_closes_at, starts_at, ends_at = (
        moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
        for moment in (
            registration_opens_at,
            registration_closes_at,
            check_in_opens_at,
            check_in_closes_at,
            starts_at,
            ends_at,
        )
    )
    payout_split = list(payout_split or [])
    _check_rules(
        format=format,
        race_to=race_to,
        final_race_to=final_race_to,
        player_cap=player_cap,
        groups=groups,
        payout_split=payout_split,
    )
    _check_windows(
        registration_opens_at, registration_closes_at, check_in_opens_at, check_in_closes_at, starts_at, ends_at
    )
    wanted = set(table_ids)
    chosen = list(PoolTable.objects.filter(hall=hall, pk__in=wanted).order_by("number"))
    if not wanted:
        raise exceptions.InvalidTournament("Name the tables the tournament uses.")
    if len(chosen) != len(wanted):
        raise exceptions.InvalidTournament("Every table must be one of this hall's (by its id).")
    minutes = math.ceil((ends_at - starts_at).total_seconds() / 60)
    tournament = Tournament.objects.create(
        hall=hall,
        name=name,
        format=format,
        game=game,
        seeding=seeding,
        race_to=race_to,
        final_race_to=final_race_to,
        handicap=handicap,
        player_cap=player_cap,
        groups=groups,
        swiss_rounds=swiss_rounds,
        entry_fee=entry_fee,
        payout_split=payout_split,
        registration_opens_at=registration_opens_at,
        registration_closes_at=registration_closes_at,
        check_in_opens_at=check_in_opens_at,
        check_in_closes_at=check_in_closes_at,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=staff_user,
    )
    for table in chosen:
        hold = reservations.reservation_create(
            table=table, start=starts_at, minutes=minutes, created_by=staff_user, hold=True
        )
        TournamentTable.objects.create(tournament=tournament, table=table, hold=hold)
    tournament.ends_at = starts_at + timedelta(minutes=minutes)
    tournament.save(update_fields=["ends_at"])
    return tournament


# --- Registration and check-in --------------------------------------------------------------------


@transaction.atomic
def tournament_register(*, tournament_id: int | str, player: Player) -> Entry:
    """A player registers while registration is open and there is room; a withdrawn player may come back."""
    tournament = _locked(tournament_id)
    now = timezone.now()
    if tournament.state != Tournament.State.REGISTRATION or not (
        tournament.registration_opens_at <= now < tournament.registration_closes_at
    ):
        raise exceptions.RegistrationClosed()
    entry = Entry.objects.filter(tournament=tournament, player=player).first()
    if entry is not None and entry.status == Entry.Status.REGISTERED:
        raise exceptions.AlreadyRegistered()
    if Entry.objects.filter(tournament=tournament, status=Entry.Status.REGISTERED).count() >= tournament.player_cap:
        raise exceptions.TournamentFull(f"{tournament.name} is full ({tournament.player_cap} players).")
    if entry is None:
        entry = Entry.objects.create(tournament=tournament, player=player)
    else:
        entry.status, entry.checked_in_at = Entry.Status.REGISTERED, None
        entry.save(update_fields=["status", "checked_in_at"])
    _changed(tournament, "registered")
    return entry


@transaction.atomic
def tournament_withdraw(*, tournament_id: int | str, player: Player) -> Entry:
    """A player withdraws before the start."""
    tournament = _locked(tournament_id)
    if tournament.state != Tournament.State.REGISTRATION:
        raise exceptions.AlreadyStarted()
    entry = Entry.objects.filter(tournament=tournament, player=player, status=Entry.Status.REGISTERED).first()
    if entry is None:
        raise exceptions.NotRegistered("You are not registered for this tournament.")
    entry.status, entry.checked_in_at = Entry.Status.WITHDRAWN, None
    entry.save(update_fields=["status", "checked_in_at"])
    _changed(tournament, "withdrawn")
    return entry


@transaction.atomic
def tournament_check_in(*, tournament_id: int | str, player_id: int, user: User) -> Entry:
    """A registered player checks in during the check-in window; the hall's staff check a player in at the
    desk at any time before the start."""
    tournament = _locked(tournament_id)
    if tournament.state != Tournament.State.REGISTRATION:
        raise exceptions.AlreadyStarted()
    own = Player.objects.filter(user=user, pk=player_id).exists()
    if not own:
        _staff(user, tournament)
    else:
        now = timezone.now()
        if not tournament.check_in_opens_at <= now < tournament.check_in_closes_at:
            raise exceptions.CheckInClosed()
    entry = Entry.objects.filter(tournament=tournament, player_id=player_id, status=Entry.Status.REGISTERED).first()
    if entry is None:
        raise exceptions.NotRegistered()
    if entry.checked_in_at is None:
        entry.checked_in_at = timezone.now()
        entry.save(update_fields=["checked_in_at"])
        _changed(tournament, "checked_in")
    return entry


# --- The draw -----------------------------------------------------------------------------------


def _specs(tournament: Tournament, players: int) -> list[formats.MatchSpec]:
    if tournament.format == Tournament.Format.SINGLE_ELIMINATION:
        return formats.single_elimination(players)
    if tournament.format == Tournament.Format.DOUBLE_ELIMINATION:
        return formats.double_elimination(players)
    if tournament.format == Tournament.Format.ROUND_ROBIN:
        return formats.round_robin(players, groups=max(1, min(tournament.groups, players // 2)))
    return []


def _create_matches(tournament: Tournament, specs: Iterable[formats.MatchSpec]) -> None:
    Match.objects.bulk_create(
        Match(
            tournament=tournament,
            key=spec.key,
            bracket=spec.bracket,
            round=spec.round,
            stage=spec.stage,
            order=spec.order,
            group=spec.group,
            source_a=str(spec.a),
            source_b=str(spec.b),
            final=spec.final,
            reset=spec.reset,
            race_a=tournament.race_for(final=spec.final),
            race_b=tournament.race_for(final=spec.final),
        )
        for spec in specs
    )


@transaction.atomic
def tournament_start(*, tournament_id: int | str, staff_user: User) -> Tournament:
    """Start: players not checked in are dropped, the rest seeded and drawn, the draw published and the
    first matches called to the free tables. Fewer than two checked-in players: refused, nothing changes."""
    tournament = _locked(tournament_id)
    _staff(staff_user, tournament)
    if tournament.state != Tournament.State.REGISTRATION:
        raise exceptions.AlreadyStarted()
    now = timezone.now()
    if now < tournament.check_in_opens_at:
        raise exceptions.TooEarly()
    registered = list(
        Entry.objects.filter(tournament=tournament, status=Entry.Status.REGISTERED).select_related("player__user")
    )
    present = [entry for entry in registered if entry.checked_in_at is not None]
    if len(present) < 2:
        raise exceptions.NotEnoughPlayers()
    for entry in registered:
        if entry.checked_in_at is None:
            entry.status = Entry.Status.DROPPED
            entry.save(update_fields=["status"])
            notification_send(
                recipient=entry.player,
                type=Notification.Type.TOURNAMENT,
                body=f"{tournament.name} has started; you were not checked in, so you are not in the draw.",
                extra=str(tournament.pk),
            )
    order = formats.seed_order(
        [formats.Seedable(e.player_id, e.player.rating, e.manual_seed) for e in present],
        method=tournament.seeding,
        rng=random.Random(),
    )
    if tournament.format in ELIMINATION:  # players who block each other do not meet in the first round
        order = formats.keep_apart(order, blocked_pairs(order))
    by_player = {entry.player_id: entry for entry in present}
    for seed, player_id in enumerate(order, start=1):
        entry = by_player[player_id]
        entry.seed, entry.rating_at_draw = seed, entry.player.rating
        entry.save(update_fields=["seed", "rating_at_draw"])
    tournament.state, tournament.started_at = Tournament.State.RUNNING, now
    tournament.save(update_fields=["state", "started_at"])
    if tournament.format == Tournament.Format.SWISS:
        _swiss_round(tournament)
    else:
        _create_matches(tournament, _specs(tournament, len(present)))
    _refresh(tournament)
    for entry in present:
        notification_send(
            recipient=entry.player,
            type=Notification.Type.TOURNAMENT,
            body=f"The draw of {tournament.name} is out: you are seed {entry.seed} of {len(present)}.",
            extra=str(tournament.pk),
        )
    _call_ready(tournament)
    _announce_holds(tournament)
    _changed(tournament, "draw")
    return tournament


def _swiss_round(tournament: Tournament) -> None:
    """Pair the next Swiss round from the standings so far (a bye is a match of one, decided at once)."""
    entries = {e.pk: e for e in Entry.objects.filter(tournament=tournament, seed__isnull=False)}
    decided = list(Match.objects.filter(tournament=tournament, state=Match.State.DONE))
    games, byes = _games(decided)
    table = formats.standings(
        [(pk, e.rating_at_draw or 0.0) for pk, e in entries.items()], games, byes=byes, swiss=True
    )
    field = [formats.SwissPlayer(row.player, row.points, entries[row.player].rating_at_draw or 0.0) for row in table]
    met = {frozenset((game.a, game.b)) for game in games}
    # Players who block each other are kept apart like a rematch: whenever the round can avoid it.
    player_of = {pk: entry.player_id for pk, entry in entries.items()}
    blocked = blocked_pairs(player_of.values())
    met |= {
        frozenset((a, b))
        for a in entries
        for b in entries
        if a < b and frozenset((player_of[a], player_of[b])) in blocked
    }
    pairs, bye = formats.swiss_pairings(field, met=met, had_bye=set(byes))
    round_no = tournament.swiss_round + 1
    seed_of = {pk: entry.seed or 0 for pk, entry in entries.items()}
    _create_matches(tournament, formats.swiss_round_specs(round_no, pairs, seed_of))
    if bye is not None:
        now = timezone.now()
        Match.objects.create(
            tournament=tournament,
            key=f"S{round_no}-bye",
            bracket=formats.SWISS_BRACKET,
            round=round_no,
            stage=round_no,
            order=len(pairs) + 1,
            source_a=f"seed:{seed_of[bye]}",
            source_b="bye",
            state=Match.State.DONE,
            player_a_id=bye,
            winner_id=bye,
            decided_at=now,
            finished_at=now,
        )
    tournament.swiss_round = round_no
    tournament.save(update_fields=["swiss_round"])


def _games(matches: Iterable[Match]) -> tuple[list[formats.Game], list[int]]:
    """Decided matches as games between entries, and the entries that had a bye."""
    games, byes = [], []
    for match in matches:
        if match.winner_id is None:
            continue
        if match.source_b == "bye":
            byes.append(match.winner_id)
        elif match.player_a_id is not None and match.player_b_id is not None:
            games.append(
                formats.Game(match.player_a_id, match.player_b_id, match.winner_id, match.score_a, match.score_b)
            )
    return games, byes


def _is_bye(match: Match) -> bool:
    return match.source_b == "bye"


def _spec(match: Match) -> formats.MatchSpec:
    return formats.MatchSpec(
        match.key,
        match.bracket,
        match.round,
        match.order,
        formats.Source.parse(match.source_a),
        formats.Source.parse(match.source_b),
        stage=match.stage,
        group=match.group,
        final=match.final,
        reset=match.reset,
    )


def _set_races(tournament: Tournament, match: Match, players: dict[int, Player]) -> None:
    """The races of a match whose players are now known, and A's chance to win it."""
    race = tournament.race_for(final=match.final)
    first, second = players[match.player_a.player_id], players[match.player_b.player_id]  # type: ignore[union-attr]
    chance = formats.expected_score(first.rating, first.rating_deviation, second.rating, second.rating_deviation)
    match.race_a, match.race_b = formats.handicap_races(chance, race) if tournament.handicap else (race, race)
    match.win_probability_a = round(formats.match_win_probability(chance, match.race_a, match.race_b), 4)


def _refresh(tournament: Tournament) -> list[Match]:
    """Replay the results over the draw and write what changed: players placed, matches ready, pending or
    void. A match being played, played or decided keeps its players."""
    matches = list(Match.objects.select_for_update().filter(tournament=tournament).order_by("id"))
    entries = {e.pk: e for e in Entry.objects.filter(tournament=tournament, seed__isnull=False)}
    seeds = {entry.seed: pk for pk, entry in entries.items() if entry.seed is not None}
    drawn = [match for match in matches if not _is_bye(match)]
    specs = [_spec(match) for match in drawn]
    state = formats.bracket_state(specs, seeds, {m.key: m.winner_id for m in drawn if m.winner_id is not None})
    players = {p.pk: p for p in Player.objects.filter(pk__in=[e.player_id for e in entries.values()])}
    for match in drawn:
        placed = state[match.key]
        before = (match.state, match.player_a_id, match.player_b_id)
        if match.state in (Match.State.ON_TABLE, Match.State.PLAYED, Match.State.DONE):
            continue
        if placed.void:
            match.state, match.player_a_id, match.player_b_id = Match.State.VOID, None, None
        else:
            match.player_a_id, match.player_b_id = placed.a, placed.b
            match.state = Match.State.READY if placed.ready else Match.State.PENDING
        if (match.state, match.player_a_id, match.player_b_id) == before:
            continue
        if match.state == Match.State.READY:
            match.player_a, match.player_b = entries[placed.a], entries[placed.b]  # type: ignore[index]
            _set_races(tournament, match, players)
        match.save(update_fields=["state", "player_a", "player_b", "race_a", "race_b", "win_probability_a"])
    _finish_or_continue(tournament, specs, state, matches)
    return matches


def _finish_or_continue(
    tournament: Tournament, specs: list[formats.MatchSpec], state: dict[str, formats.Placed], matches: list[Match]
) -> None:
    """Crown the champion when the last match is decided; a Swiss round that is complete pairs the next."""
    if tournament.state != Tournament.State.RUNNING:
        return
    champion_entry: int | None = None
    if tournament.format in ELIMINATION:
        champion_entry = formats.champion(specs, state)
    elif all(match.state in (Match.State.DONE, Match.State.VOID) for match in matches):
        if tournament.format == Tournament.Format.SWISS and tournament.swiss_round < tournament.swiss_rounds:
            _swiss_round(tournament)
            _refresh(tournament)
            return
        entries = {e.pk: e for e in Entry.objects.filter(tournament=tournament, seed__isnull=False)}
        games, byes = _games(matches)
        table = formats.standings(
            [(pk, e.rating_at_draw or 0.0) for pk, e in entries.items()],
            games,
            byes=byes,
            swiss=tournament.format == Tournament.Format.SWISS,
        )
        champion_entry = table[0].player if table else None
    if champion_entry is None:
        return
    champion = Entry.objects.select_related("player__user").get(pk=champion_entry).player
    tournament.state, tournament.champion, tournament.finished_at = Tournament.State.FINISHED, champion, timezone.now()
    tournament.save(update_fields=["state", "champion", "finished_at"])
    _release_holds(tournament)
    for entry in Entry.objects.filter(tournament=tournament, seed__isnull=False).select_related("player"):
        notification_send(
            recipient=entry.player,
            type=Notification.Type.TOURNAMENT,
            body=f"{champion.user.username} won {tournament.name}.",
            extra=str(tournament.pk),
        )


# --- The tournament's holds on its tables ----------------------------------------------------------


def _announce_holds(tournament: Tournament) -> None:
    """After commit, the hall's board learns which tables the tournament holds now (between its games they
    show as the tournament's, not free)."""
    held = hall_holds_now(hall_id=tournament.hall_id)
    rows = TournamentTable.objects.filter(tournament=tournament).select_related("table")
    hold_frames = [
        frames.table_hold(table_id=row.table_id, table_number=row.table.number, held_for=held[row.table_id])
        for row in rows
        if row.table_id in held and held[row.table_id]["id"] == tournament.pk
    ]
    hall_id = tournament.hall_id

    def announce() -> None:
        for frame in hold_frames:
            push_to_hall_board(hall_id, frame)

    transaction.on_commit(announce)


def _release_holds(tournament: Tournament) -> None:
    """The tournament is over before its hours end: its tables go back to bookings and the walk-up queue."""
    for row in TournamentTable.objects.filter(tournament=tournament, hold__isnull=False):
        reservations.hold_release(hold_id=row.hold_id)  # type: ignore[arg-type]


def _hold_again(tournament: Tournament) -> None:
    """An undo reopened a finished tournament: its tables are held again until its end, those that nobody
    booked meanwhile (a table taken since simply stays out of it; staff can add another in the admin)."""
    if tournament.ends_at <= timezone.now():
        return
    for row in TournamentTable.objects.filter(tournament=tournament, hold__isnull=False).select_related("table"):
        try:
            reservations.hold_resume(hold_id=row.hold_id, until=tournament.ends_at)  # type: ignore[arg-type]
        except ReservationError as error:
            logger.info("table %s not held again for %s: %s", row.table.number, tournament.name, error.detail)
    _announce_holds(tournament)


# --- Calling matches to tables ----------------------------------------------------------------------


def _free_tables(tournament: Tournament) -> list[selectors.FreeTable]:
    """The tournament's tables that can take a match now: held now, in service, nothing played on them."""
    return selectors.tables_free(tournament_id=tournament.pk, now=timezone.now())


def _busy_entries(tournament: Tournament) -> set[int]:
    playing = Match.objects.filter(tournament=tournament, state=Match.State.ON_TABLE)
    return {pk for pair in playing.values_list("player_a_id", "player_b_id") for pk in pair if pk is not None}


def _queue(tournament: Tournament) -> tuple[list[tuple[int, int, int]], set[int]]:
    """Ready matches in calling order (by round, then bracket order) as (match id, entry a, entry b), and
    the entries playing now: one query."""
    rows = (
        Match.objects.filter(tournament=tournament, state__in=(Match.State.READY, Match.State.ON_TABLE))
        .order_by("stage", "id")
        .values_list("id", "state", "player_a_id", "player_b_id")
    )
    ready, busy = [], set()
    for pk, state, a, b in rows:
        if state == Match.State.READY:
            ready.append((pk, a or 0, b or 0))
        else:
            busy |= {entry for entry in (a, b) if entry is not None}
    return ready, busy


# The players' `match_called` frames of one transaction, pushed by a callback registered before anything
# else it does after commit: (user id, frame).
Called = list[tuple[int, dict[str, Any]]]


def _call_ready(tournament: Tournament, *, into: Called | None = None) -> list[Match]:
    """Call the first ready matches to the free tables (the caller holds the tournament's lock). A match the
    booking service refuses (a player booked elsewhere) stays in the queue. `into`: the caller's list of
    `match_called` frames to push first after commit (see `match_report`)."""
    if tournament.state != Tournament.State.RUNNING:
        return []
    free = _free_tables(tournament)
    if not free:
        return []
    rows = {row.table_id: row for row in free}
    ready, busy = _queue(tournament)
    picks = formats.pick_calls([(str(pk), a, b) for pk, a, b in ready], busy=busy, free_tables=list(rows))
    called = []
    for match_id, table_id in picks:
        match = Match.objects.select_related("player_a__player__user", "player_b__player__user").get(pk=match_id)
        try:
            with transaction.atomic():
                called.append(_call(tournament, match, rows[table_id], into=into))
        except (ReservationError, exceptions.TournamentError) as error:
            logger.warning("match %s not called to table %s: %s", match.key, table_id, error.detail)
    return called


def _call(
    tournament: Tournament,
    match: Match,
    row: selectors.FreeTable,
    *,
    keep_score: bool = False,
    into: Called | None = None,
) -> Match:
    """Put a ready match on a table: a game session between its players starts there (the tournament's
    booking), both are told where and against whom, and the board shows the table busy.

    The players' `match_called` frames are the first thing pushed after commit (this is what they wait for);
    the stored notifications and the board follow. `into`: a list the caller pushes first after commit
    instead (its callback registered before this transaction's others)."""
    entry_a, entry_b = match.player_a, match.player_b
    assert entry_a is not None and entry_b is not None
    first, second = entry_a.player, entry_b.player
    number = row.number
    probability_a = match.win_probability_a
    called = [
        (
            me.user_id,
            frames.match_called(
                tournament_id=tournament.pk,
                tournament_name=tournament.name,
                match_id=match.pk,
                match_key=match.key,
                table_number=number,
                opponent=other.user.username,
                race_to=race,
                opponent_race_to=other_race,
                win_probability=None if probability is None else round(probability, 4),
            ),
        )
        for me, other, race, other_race, probability in (
            (first, second, match.race_a, match.race_b, probability_a),
            (second, first, match.race_b, match.race_a, None if probability_a is None else 1 - probability_a),
        )
    ]

    if into is None:
        into = []
        transaction.on_commit(lambda: push_to_users(into))  # dropped with the savepoint if the booking refuses
    session = reservations.session_start_in_hold(
        hold=row.hold, player=first, other_player=second, created_by_id=tournament.created_by_id
    )
    into.extend(called)  # reached only once the game is booked
    match.state, match.table_id, match.on_table_id, match.session = (
        Match.State.ON_TABLE,
        row.table_id,
        row.table_id,
        session,
    )
    match.called_at = timezone.now()
    if not keep_score:
        match.score_a = match.score_b = 0
    match.save(update_fields=["state", "table", "on_table", "session", "called_at", "score_a", "score_b"])
    notifications_send(
        [
            (me, f"Table {number}, against {other.user.username}, race to {race}.", other)
            for me, other, race in ((first, second, match.race_a), (second, first, match.race_b))
        ],
        type=Notification.Type.MATCH_CALLED,
        extra=str(match.pk),
    )
    return match


def _table_row(tournament: Tournament, table_id: int | None) -> selectors.FreeTable:
    """A free table of the tournament: the one named (its `Table.id`), else the first free one."""
    free = _free_tables(tournament)
    if table_id is None and free:
        return free[0]
    row = next((row for row in free if row.table_id == table_id), None)
    if row is None:
        raise exceptions.TableNotAvailable()
    return row


@transaction.atomic
def match_call(*, tournament_id: int | str, match_id: int | str, staff_user: User, table_id: int | None) -> Match:
    """Staff call a ready match by hand, to a free table of the tournament (the first free one if none is
    named), ahead of the queue."""
    tournament = _locked(tournament_id)
    _staff(staff_user, tournament)
    _require_running(tournament)
    match = _locked_match(tournament, match_id)
    if match.state != Match.State.READY:
        raise exceptions.MatchNotReady()
    if {match.player_a_id, match.player_b_id} & _busy_entries(tournament):
        raise exceptions.PlayerBusy()
    row = _table_row(tournament, table_id)
    match = Match.objects.select_related("player_a__player__user", "player_b__player__user").get(pk=match.pk)
    _call(tournament, match, row)
    _changed(tournament, "called")
    return match


@transaction.atomic
def match_move(*, tournament_id: int | str, match_id: int | str, staff_user: User, table_id: int) -> Match:
    """Staff move a match being played to another free table: its session on the old table ends there (the
    table time is recorded) and a new one starts on the new table; the live score goes with it. The old
    table then takes the next match in the queue."""
    tournament = _locked(tournament_id)
    _staff(staff_user, tournament)
    _require_running(tournament)
    match = _locked_match(tournament, match_id)
    if match.state != Match.State.ON_TABLE:
        raise exceptions.MatchNotOnTable()
    row = _table_row(tournament, table_id)
    old_session = match.session_id
    match.on_table, match.session = None, None
    match.save(update_fields=["on_table", "session"])
    if old_session is not None:
        reservations.session_finish(session_id=old_session, early=True, moved=True)
    match = Match.objects.select_related("player_a__player__user", "player_b__player__user").get(pk=match.pk)
    _call(tournament, match, row, keep_score=True)
    _changed(tournament, "moved")
    return match


def _require_running(tournament: Tournament) -> None:
    if tournament.state != Tournament.State.RUNNING:
        raise exceptions.NotRunning()


# --- Games ending, scores and results -------------------------------------------------------------


def _end_play(match: Match) -> None:
    """The match's game is over: its session ends now (the table frees after commit, and the next match is
    called to it there), the match waits for its result."""
    if match.state != Match.State.ON_TABLE:
        return
    if match.session_id is not None:
        # Not "enter the result": the players report in the tournament, and staff enter forfeits and scores.
        reservations.session_finish(session_id=match.session_id, early=True, ask_result=False)
    match.state, match.on_table, match.finished_at = Match.State.PLAYED, None, timezone.now()
    match.save(update_fields=["state", "on_table", "finished_at"])


def _sync_sessions(tournament: Tournament) -> None:
    """Matches whose game session ended some other way (staff ended it, the hold ran out) are played."""
    ended = Match.objects.select_for_update().filter(
        tournament=tournament, state=Match.State.ON_TABLE, session__ended_at__isnull=False
    )
    for match in ended:
        match.state, match.on_table = Match.State.PLAYED, None
        match.finished_at = match.session.ended_at if match.session else timezone.now()
        match.save(update_fields=["state", "on_table", "finished_at"])


def _check_score(match: Match, score_a: int, score_b: int) -> None:
    if not formats.score_fits(score_a, score_b, race_a=match.race_a, race_b=match.race_b):
        if match.race_a == match.race_b:
            race = f"a race to {match.race_a}"
        else:
            race = f"races to {match.race_a} and {match.race_b}"
        raise exceptions.ScoreDoesNotFitRace(
            f"{score_a}-{score_b} does not end {race}: exactly one player reaches their race."
        )


def tournament_score_check(*, session_id: int, winner_id: int | None, result_winner: int, result_loser: int) -> None:
    """The ratings service asks this of every claimed or settled result: a game that is a tournament match must
    end its race (no 5-7 in a race to 5, no draw), whichever way its result comes in. Other games pass."""
    match = Match.objects.filter(session_id=session_id).select_related("player_a").first()
    if match is None:
        return
    if winner_id is None:
        raise exceptions.ScoreDoesNotFitRace("A tournament match has a winner: it cannot be a draw.")
    a_won = match.player_a is not None and match.player_a.player_id == winner_id
    _check_score(match, result_winner if a_won else result_loser, result_loser if a_won else result_winner)


def match_report(
    *, tournament_id: int | str, match_id: int | str, player: Player, my_score: int, opponent_score: int
) -> Match:
    """A player of the match reports its rack score (REST or socket). The score must end the race; the game
    then ends on its table if it was still running, and the report goes to the ratings service like any
    other: two agreeing reports make it final (and the bracket advances), disagreeing ones go to staff.

    Two transactions. The first checks the report and ends the game: the table it frees takes the next
    ready match there and then, and that match's players get their `match_called` frames the moment it
    commits (the first thing pushed). The second records the report. A report the ratings service refuses
    then (the player had reported already) leaves the game ended, as its first report did."""
    winner, loser, session_id = _end_by_report(
        tournament_id=tournament_id, match_id=match_id, player=player, my_score=my_score, opponent_score=opponent_score
    )
    with transaction.atomic():
        tournament = _locked(tournament_id)
        match = _locked_match(tournament, match_id)
        if match.state == Match.State.DONE:
            raise exceptions.MatchDecided()
        if match.session_id != session_id:
            raise exceptions.MatchNotPlayable("The match moved on meanwhile; report it again.")
        ratings.result_report(
            session_id=session_id,
            reporter=player,
            winner_id=winner,
            loser_id=loser,
            result_winner=max(my_score, opponent_score),
            result_loser=min(my_score, opponent_score),
        )
        _changed(tournament, "reported", match)
    return match


@transaction.atomic
def _end_by_report(
    *, tournament_id: int | str, match_id: int | str, player: Player, my_score: int, opponent_score: int
) -> tuple[int, int, int]:
    """`match_report`'s first transaction: (winner's player id, loser's, the game's session id)."""
    tournament = _locked(tournament_id)
    match = _locked_match(tournament, match_id)
    # The match's two entries as (entry id, player id), one query: which side reports, and the opponent.
    sides = dict(Entry.objects.filter(pk__in=[match.player_a_id, match.player_b_id]).values_list("id", "player_id"))
    side = match.side_of(next((pk for pk, player_id in sides.items() if player_id == player.pk), None))
    if side is None:
        raise exceptions.NotYourMatch()
    if match.state == Match.State.DONE:
        raise exceptions.MatchDecided()
    if match.state not in (Match.State.ON_TABLE, Match.State.PLAYED) or match.session_id is None:
        raise exceptions.MatchNotPlayable()
    score_a, score_b = (my_score, opponent_score) if side == "a" else (opponent_score, my_score)
    _check_score(match, score_a, score_b)
    opponent_id = sides[match.player_b_id if side == "a" else match.player_a_id]  # type: ignore[index]
    called: Called = []
    transaction.on_commit(lambda: push_to_users(called))  # before anything else this transaction leaves
    _end_play(match)
    if _call_ready(tournament, into=called):
        _changed(tournament, "called")
    won = my_score > opponent_score
    winner, loser = (player.pk, opponent_id) if won else (opponent_id, player.pk)
    return winner, loser, match.session_id


@transaction.atomic
def match_rack(*, tournament_id: int | str, match_id: int | str, user: User, player_id: int, delta: int = 1) -> Match:
    """Live scoring: a rack for `player_id` (or one taken back, delta -1), by a player of the match or the
    hall's staff; the bracket page shows it at once. The score stays within the races."""
    tournament = _locked(tournament_id)
    match = _locked_match(tournament, match_id)
    if match.state != Match.State.ON_TABLE:
        raise exceptions.MatchNotOnTable()
    in_match = Entry.objects.filter(pk__in=[match.player_a_id, match.player_b_id], player__user=user).exists()
    if not in_match:
        try:
            _staff(user, tournament)
        except DomainError as error:
            raise exceptions.NotYourMatch() from error
    side = "a" if player_id == (match.player_a.player_id if match.player_a else None) else None
    if side is None and player_id == (match.player_b.player_id if match.player_b else None):
        side = "b"
    if side is None or delta not in (1, -1):
        raise exceptions.InvalidTournament("A rack goes to one of the match's two players, one at a time.")
    score_a, score_b = match.score_a + (delta if side == "a" else 0), match.score_b + (delta if side == "b" else 0)
    if score_a < 0 or score_b < 0 or score_a > match.race_a or score_b > match.race_b:
        raise exceptions.ScoreDoesNotFitRace("The live score stays within the races.")
    if score_a == match.race_a and score_b == match.race_b:
        raise exceptions.ScoreDoesNotFitRace("Only one player can reach their race.")
    match.score_a, match.score_b = score_a, score_b
    match.save(update_fields=["score_a", "score_b"])
    _changed(tournament, "score", match)
    return match


@transaction.atomic
def match_result_by_staff(
    *, tournament_id: int | str, match_id: int | str, staff_user: User, score_a: int, score_b: int
) -> Match:
    """Staff enter a match's score (a dispute, a result from the desk). A match played on a table is settled
    through the ratings service at once (its ratings move once; the bracket advances from there); one that
    was never on a table, or whose result stood before an undo, is decided in the bracket alone."""
    tournament = _locked(tournament_id)
    _staff(staff_user, tournament)
    _require_running(tournament)
    match = _locked_match(tournament, match_id)
    if match.state == Match.State.DONE:
        raise exceptions.MatchDecided()
    if match.state not in (Match.State.READY, Match.State.ON_TABLE, Match.State.PLAYED):
        raise exceptions.MatchNotPlayable()
    _check_score(match, score_a, score_b)
    winner_entry = match.player_a if score_a > score_b else match.player_b
    assert winner_entry is not None
    _end_play(match)
    settled = (
        GameResult.objects.filter(session_id=match.session_id, status=GameResult.Status.FINAL).exists()
        if match.session_id is not None
        else True
    )
    if settled:
        match.score_a, match.score_b = score_a, score_b
        _decide(tournament, match, winner_entry.pk)
        return match
    ratings.result_settle(
        session_id=match.session_id,  # type: ignore[arg-type]
        staff_user=staff_user,
        winner_id=winner_entry.player_id,
        result_winner=max(score_a, score_b),
        result_loser=min(score_a, score_b),
        at_once=True,
    )
    _changed(tournament, "reported", match)
    return match


@transaction.atomic
def match_forfeit(*, tournament_id: int | str, match_id: int | str, staff_user: User, player_id: int) -> Match:
    """Staff forfeit a no-show: the other player wins the match without a game (no rating moves)."""
    tournament = _locked(tournament_id)
    _staff(staff_user, tournament)
    _require_running(tournament)
    match = _locked_match(tournament, match_id)
    if match.state == Match.State.DONE:
        raise exceptions.MatchDecided()
    if match.state not in (Match.State.READY, Match.State.ON_TABLE):
        raise exceptions.MatchNotPlayable("Only a match waiting for a table or on one can be forfeited.")
    loser = Entry.objects.filter(pk__in=[match.player_a_id, match.player_b_id], player_id=player_id).first()
    if loser is None:
        raise exceptions.InvalidTournament("That player does not play in this match.")
    winner_id = match.player_b_id if loser.pk == match.player_a_id else match.player_a_id
    assert winner_id is not None
    _end_play(match)
    match.forfeit = True
    match.score_a = match.score_b = 0
    _decide(tournament, match, winner_id)
    return match


def _decide(tournament: Tournament, match: Match, winner_entry_id: int) -> None:
    """A match is decided (the caller holds the tournament's lock): the bracket advances, the tournament
    finishes or pairs its next Swiss round, free tables take the next matches."""
    now = timezone.now()
    match.winner_id, match.state, match.decided_at, match.on_table = winner_entry_id, Match.State.DONE, now, None
    match.finished_at = match.finished_at or now
    match.save(
        update_fields=[
            "winner",
            "state",
            "decided_at",
            "on_table",
            "finished_at",
            "score_a",
            "score_b",
            "forfeit",
        ]
    )
    _refresh(tournament)
    _call_ready(tournament)
    _changed(tournament, "result", match)


def tournament_result_final(*, session_id: int) -> None:
    """After commit, from the ratings service: a game's result is final. If it is a tournament match, its
    winner advances. Idempotent (the match is decided once); a failure is logged and the tick catches up."""
    tournament_id = Match.objects.filter(session_id=session_id).values_list("tournament_id", flat=True).first()
    if tournament_id is None:
        return
    try:
        _apply_result(tournament_id, session_id)
    except Exception:
        logger.exception("tournament %s: advancing from session %s failed", tournament_id, session_id)


@transaction.atomic
def _apply_result(tournament_id: int, session_id: int) -> bool:
    tournament = _locked(tournament_id)
    match = Match.objects.select_for_update().filter(tournament=tournament, session_id=session_id).first()
    if match is None or match.state in (Match.State.DONE, Match.State.VOID):
        return False
    result = GameResult.objects.filter(session_id=session_id, status=GameResult.Status.FINAL).first()
    if result is None or result.tie or result.winner_id is None:
        return False
    winner = Entry.objects.filter(pk__in=[match.player_a_id, match.player_b_id], player_id=result.winner_id).first()
    if winner is None:
        return False
    if match.state == Match.State.ON_TABLE:
        _end_play(match)
    if winner.pk == match.player_a_id:
        match.score_a, match.score_b = result.result_winner, result.result_loser
    else:
        match.score_a, match.score_b = result.result_loser, result.result_winner
    _decide(tournament, match, winner.pk)
    return True


def tournament_table_freed(*, table_id: int) -> bool:
    """After commit, from the booking service: a game on this table ended. The running tournament that holds
    the table marks its match played and calls the next ready match to it. True: a tournament holds the
    table (nobody else waits for it)."""
    held_by = selectors.tournament_ids_on_table(table_id=table_id)
    for tournament_id in held_by:
        _fill_tables(tournament_id)
    return bool(held_by)


@transaction.atomic
def _fill_tables(tournament_id: int) -> list[Match]:
    tournament = _locked(tournament_id)
    _sync_sessions(tournament)
    called = _call_ready(tournament)
    if called:
        _changed(tournament, "called")
    return called


def tournament_tick() -> dict[str, int]:
    """Catch up (Celery beat): results that became final and sessions that ended without their hooks having
    run (a crash between commit and the hook), and free tables that could take a ready match."""
    report = {"advanced": 0, "called": 0}
    for tournament_id in Tournament.objects.filter(state=Tournament.State.RUNNING).values_list("pk", flat=True):
        finals = Match.objects.filter(
            tournament_id=tournament_id,
            state__in=(Match.State.ON_TABLE, Match.State.PLAYED),
            session__result__status=GameResult.Status.FINAL,
        ).values_list("session_id", flat=True)
        for session_id in list(finals):
            report["advanced"] += _apply_result(tournament_id, session_id)
        report["called"] += len(_fill_tables(tournament_id))
    return report


# --- Undo ---------------------------------------------------------------------------------------


@transaction.atomic
def tournament_undo(*, tournament_id: int | str, staff_user: User) -> Match:
    """Undo the last decided result: the matches it decided reopen as long as none of them has started
    (else UNDO_BLOCKED). A game's result is taken back by the ratings service with its rating change, and
    the match waits for staff to enter its score again (or for a replay, when it was a forfeit)."""
    tournament = _locked(tournament_id)
    _staff(staff_user, tournament)
    if tournament.state == Tournament.State.REGISTRATION:
        raise exceptions.NothingToUndo()
    matches = list(Match.objects.select_for_update().filter(tournament=tournament).order_by("id"))
    decided = [m for m in matches if m.state == Match.State.DONE and m.decided_at is not None and not _is_bye(m)]
    if not decided:
        raise exceptions.NothingToUndo()
    last = max(decided, key=lambda m: (m.decided_at, m.pk))
    by_key = {m.key: m for m in matches}
    started = (Match.State.ON_TABLE, Match.State.PLAYED, Match.State.DONE)
    if tournament.format == Tournament.Format.SWISS:
        later = [m for m in matches if m.round > last.round]
        if any(m.state in started and not _is_bye(m) for m in later):
            raise exceptions.UndoBlocked()
        Match.objects.filter(pk__in=[m.pk for m in later]).delete()
        if later:
            tournament.swiss_round = last.round
            tournament.save(update_fields=["swiss_round"])
    else:
        downstream = formats.downstream([_spec(m) for m in matches if not _is_bye(m)], last.key)
        if any(by_key[key].state in started for key in downstream):
            raise exceptions.UndoBlocked()
    replay = last.forfeit or last.session_id is None
    last.winner, last.decided_at = None, None
    last.forfeit = False
    if not replay:
        # Its game's result is taken back with its rating change; staff enter the score that stands, which
        # rates the game once more (through match_result_by_staff, like a dispute).
        ratings.result_reopen(session_id=last.session_id, reason="the tournament director undid it.")  # type: ignore[arg-type]
    last.state = Match.State.READY if replay else Match.State.PLAYED
    if replay:
        last.score_a = last.score_b = 0
    last.save(update_fields=["winner", "decided_at", "forfeit", "state", "score_a", "score_b"])
    if tournament.state == Tournament.State.FINISHED:
        tournament.state, tournament.champion, tournament.finished_at = Tournament.State.RUNNING, None, None
        tournament.save(update_fields=["state", "champion", "finished_at"])
        _hold_again(tournament)
    _refresh(tournament)
    _call_ready(tournament)
    _changed(tournament, "undone", last)
    return last


# --- Telling watchers -----------------------------------------------------------------------------


# The version of the last whole snapshot this process pushed, by tournament. One request can change a
# tournament several times (a report: the game ends and the next match is called, the report is recorded,
# the result advances the bracket), each change announcing after its commit; a change whose announcement
# comes after a fresher snapshot already went out has nothing to add, and is not built again.
_pushed_versions: dict[int, int] = {}


def _changed(tournament: Tournament, event: str, match: Match | None = None) -> None:
    """Count the change and, after commit, push it to the tournament's watchers: a live score carries the
    match alone, anything else the whole snapshot as it then stands (unless this process already pushed
    one at least as fresh)."""
    Tournament.objects.filter(pk=tournament.pk).update(version=F("version") + 1)
    tournament_id, match_id = tournament.pk, match.pk if match is not None else None

    def announce() -> None:
        if event != "score":
            current = Tournament.objects.filter(pk=tournament_id).values_list("version", flat=True).first()
            if current is not None and _pushed_versions.get(tournament_id, -1) >= current:
                return
        rows = selectors.snapshot_rows(tournament_id=tournament_id)
        snapshot = shapes.snapshot_data(rows)
        card = next((card for card in snapshot["matches"] if card["id"] == match_id), None)
        frame = frames.tournament_update(
            tournament_id=tournament_id,
            version=snapshot["version"],
            event=event,
            match=card,
            snapshot=None if event == "score" else snapshot,
        )
        push_to_tournament(tournament_id, frame)
        if event != "score":
            _pushed_versions[tournament_id] = max(snapshot["version"], _pushed_versions.get(tournament_id, -1))

    transaction.on_commit(announce)
