"""The wait estimate: pure logic on plain values, and the game lengths it reads from a hall's history."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from apps.reservations.models import GameSession
from apps.walkup.estimate import GameLengths, PartyNow, Rules, TableNow, estimate
from apps.walkup.selectors import game_lengths_measured
from tests.factories import HallFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly

NOW = datetime(2026, 3, 6, 19, 0, tzinfo=UTC)
RULES = Rules(buffer_minutes=5, min_minutes=15, step_minutes=15, offer_minutes=5, no_show_rate=0.0, answer_delays=(1,))


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def party(n: int, kind: str = "", minutes: int = 60) -> PartyNow:
    return PartyNow(id=n, kind=kind, minutes=minutes)


def test_booked_ends_give_the_waits_of_the_parties_in_order():
    tables = [TableNow(1, 1, "pool", ready_at=at(15)), TableNow(2, 2, "pool", ready_at=at(25))]
    result = estimate(
        now=NOW, tables=tables, parties=[party(1), party(2), party(3)], lengths=GameLengths([60]), rules=RULES
    )
    assert result.waits[1].typical == 15 and result.waits[2].typical == 25
    # The third takes the first table again: offered as it frees, its party plays from 15 for 60, then 5 to tidy.
    assert result.waits[3].typical == 15 + 60 + 5
    assert all(wait.low == wait.typical == wait.high for wait in result.waits.values())  # nothing left to chance


def test_a_walk_in_ends_when_games_here_end_given_how_long_it_has_run():
    walk_in = TableNow(1, 1, "pool", ready_at=at(45), walk_in_started=at(-20))
    lengths = GameLengths([30.0] * 50 + [50.0] * 50)
    result = estimate(now=NOW, tables=[walk_in], parties=[party(1)], lengths=lengths, rules=RULES, samples=400)
    wait = result.waits[1]
    # Half its games end at 30 minutes (10 from now), half at 50 (30 from now), then the table is tidied.
    assert (wait.low, wait.high) == (15, 35)
    assert wait.typical in (15, 25, 35)
    # A game already longer than any on record is near its end; never later than its booked end.
    old = TableNow(1, 1, "pool", ready_at=at(45), walk_in_started=at(-90))
    assert estimate(now=NOW, tables=[old], parties=[party(1)], lengths=lengths, rules=RULES).waits[1].high <= 45


def test_a_table_is_offered_only_for_a_slot_the_game_fits_before_its_next_booking():
    booked = TableNow(1, 1, "pool", ready_at=NOW, bookings=((at(40), at(100)),))
    short_game = estimate(
        now=NOW, tables=[booked], parties=[party(1, minutes=30)], lengths=GameLengths([30]), rules=RULES
    )
    assert short_game.waits[1].typical == 0  # 30 minutes fit in the 35 before the booking (less the tidy-up)
    long_game = estimate(
        now=NOW, tables=[booked], parties=[party(1, minutes=60)], lengths=GameLengths([60]), rules=RULES
    )
    assert long_game.waits[1].typical == 105  # after the booking and its tidy-up


def test_kinds_are_matched_and_a_party_with_no_preference_leaves_the_wanted_kind_to_others():
    tables = [TableNow(1, 1, "snooker", ready_at=at(5)), TableNow(2, 2, "pool", ready_at=at(5))]
    result = estimate(
        now=NOW, tables=tables, parties=[party(1), party(2, kind="snooker")], lengths=GameLengths([60]), rules=RULES
    )
    assert result.waits[1].typical == 5 and result.waits[2].typical == 5


def test_no_shows_ahead_spread_the_range_and_an_offered_party_waits_no_more():
    tables = [TableNow(1, 1, "pool", ready_at=at(10), offered_to=7, offer_expires=at(5))]
    rules = Rules(buffer_minutes=5, min_minutes=15, step_minutes=15, offer_minutes=5, no_show_rate=0.3)
    result = estimate(
        now=NOW, tables=tables, parties=[party(7), party(8)], lengths=GameLengths([60]), rules=rules, samples=500
    )
    assert result.waits[7].typical == 10  # offered: it waits for the tidy-up only
    second = result.waits[8]
    assert second.low == 10 and second.high == 75  # the offered party does not come (3 in 10), or plays its hour
    assert (
        estimate(
            now=NOW, tables=tables, parties=[party(7), party(8)], lengths=GameLengths([60]), rules=rules, samples=500
        )
        == result
    )


@pytest.mark.django_db
@override_settings(WALKUP_MIN_HISTORY=5, WALKUP_TYPICAL_GAME_MINUTES=55)
def test_walk_in_games_are_measured_by_kind_of_day_and_time_of_day_with_a_default_until_there_is_history():
    hall = HallFactory(time_zone="Europe/Berlin")
    table = TableFactory(hall=hall)
    berlin = ZoneInfo("Europe/Berlin")
    wednesday_evening = datetime(2026, 3, 4, 20, 0, tzinfo=berlin)
    saturday_evening = datetime(2026, 3, 7, 20, 0, tzinfo=berlin)
    assert 50 < game_lengths_measured(hall=hall, now=wednesday_evening).minutes[50] < 60  # the default
    for week in range(6):
        for start, minutes in ((wednesday_evening, 30), (saturday_evening, 90)):
            played_at = start - timedelta(days=7 * (week + 1))
            walk_in = book_directly(table, start=played_at, seconds=minutes * 60)
            GameSession.objects.create(
                reservation=walk_in, table=table, started_at=played_at, ended_at=walk_in.end_time
            )
    booked = book_directly(table, PlayerFactory(), start=wednesday_evening - timedelta(days=1), seconds=7200)
    GameSession.objects.create(reservation=booked, table=table, started_at=booked.start_time, ended_at=booked.end_time)
    measured = game_lengths_measured(hall=hall, now=wednesday_evening)
    assert set(measured.minutes) == {30.0}  # bookings are not walk-ins
    assert all(measured.cut)  # they ran to their booked ends: at least that long
    assert set(game_lengths_measured(hall=hall, now=saturday_evening).minutes) == {90.0}
    # At a time of day with no walk-ins on record, all of the hall's.
    assert set(game_lengths_measured(hall=hall, now=wednesday_evening.replace(hour=11)).minutes) == {30.0, 90.0}


def test_games_that_ran_to_their_booked_end_count_as_at_least_that_long():
    lengths = GameLengths([40.0, 80.0], cut_short=[60.0])
    rng = random.Random(1)
    draws = [lengths.draw(rng) for _ in range(3000)]
    assert set(draws) == {40.0, 80.0}  # a game cut at 60 would have gone on: to 80, the only longer one
    assert 0.6 < draws.count(80.0) / len(draws) < 0.73  # two in three


def test_a_party_offered_a_slot_its_game_does_not_fit_is_still_waiting_and_the_slot_goes_on():
    short = TableNow(1, 1, "pool", ready_at=NOW, bookings=((at(40), at(100)),), offered_to=7, offer_expires=at(5))
    whole = TableNow(2, 2, "pool", ready_at=at(50))
    result = estimate(
        now=NOW, tables=[short, whole], parties=[party(7), party(8, minutes=30)], lengths=GameLengths([60]), rules=RULES
    )
    assert result.waits[7].typical == 50  # it declines the 35 minutes before the booking and waits for table 2
    assert result.waits[8].typical == 1  # the slot passes on once it is declined
