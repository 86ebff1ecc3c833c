"""Tournaments on MariaDB and Redis: tables held through bookings, registration and check-in, the draw,
matches called to free tables, scores through the ratings service, staff corrections, bad input."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Player
from apps.notifications.models import Notification
from apps.ratings import exceptions as ratings_exceptions
from apps.ratings import services as ratings_services
from apps.ratings.glicko import Rating, rate_game
from apps.ratings.models import GameResult
from apps.reservations import services as reservation_services
from apps.reservations.exceptions import TableAlreadyBooked
from apps.reservations.models import GameSession, Reservation
from apps.reservations.tasks import sessions_sweep
from apps.tournaments import exceptions, services
from apps.tournaments.models import Entry, Match, Tournament
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.tournaments.conftest import windows

pytestmark = pytest.mark.django_db


def _matches(tournament: Tournament, state: str | None = None) -> list[Match]:
    matches = Match.objects.filter(tournament=tournament).order_by("id")
    return list(matches.filter(state=state) if state else matches)


def _players(match: Match) -> tuple[Player, Player]:
    match.refresh_from_db()
    return match.player_a.player, match.player_b.player  # type: ignore[union-attr]


def _report(settle, tournament, match, player, mine, theirs):
    settle(
        services.match_report,
        tournament_id=tournament.pk,
        match_id=match.pk,
        player=player,
        my_score=mine,
        opponent_score=theirs,
    )


def _both_report(settle, tournament, match, score_a=5, score_b=3):
    first, second = _players(match)
    _report(settle, tournament, match, first, score_a, score_b)
    _report(settle, tournament, match, second, score_b, score_a)
    match.refresh_from_db()
    return match


def _assert_tables_sane(tournament: Tournament) -> None:
    """Never two matches on one table, never one player on two tables, every match on a table in a session."""
    playing = _matches(tournament, Match.State.ON_TABLE)
    tables = [match.on_table_id for match in playing]
    players = [pk for match in playing for pk in (match.player_a_id, match.player_b_id)]
    assert len(tables) == len(set(tables)) and None not in tables
    assert len(players) == len(set(players))
    for match in playing:
        assert match.session is not None and match.session.ended_at is None
        assert match.session.table_id == match.on_table_id
    running = GameSession.objects.filter(table__in=tables, ended_at__isnull=True).values_list("table_id", flat=True)
    assert sorted(running) == sorted(tables)


# --- Creating: the tables are held through the booking service ----------------------------------------


def test_creating_holds_the_tables_so_no_player_can_book_them_and_the_hold_starts_no_session(
    make_tournament, tables
) -> None:
    tournament = make_tournament(table_count=2)
    holds = Reservation.objects.filter(tournament_hold__tournament=tournament)
    assert holds.count() == 2 and all(hold.player_reserving is None for hold in holds)
    assert {hold.table_id for hold in holds} == {tables[0].pk, tables[1].pk}
    player = PlayerFactory()
    with pytest.raises(TableAlreadyBooked):
        reservation_services.reservation_create(
            table=tables[0], start=tournament.starts_at + timedelta(hours=1), minutes=60, player=player
        )
    # The hold runs past the hall's longest booking (240 minutes) and its start makes no walk-in game.
    assert all(hold.duration == 360 for hold in holds)
    sessions_sweep()
    assert not GameSession.objects.exists()
    # A table the tournament does not use can still be booked.
    reservation_services.reservation_create(
        table=tables[2], start=tournament.starts_at + timedelta(hours=1), minutes=60, player=player
    )


def test_staff_of_another_hall_cannot_create_a_tournament_here(client_for, hall, tables) -> None:
    elsewhere = PlayerFactory()
    HallStaffFactory(hall=HallFactory(), user=elsewhere.user)
    body = {"hall": hall.pk, "name": "Cup", "tables": [tables[0].pk], **_iso(windows())}
    response = client_for(elsewhere.user).post("/api/tournaments/", body, format="json")
    assert response.status_code == 403 and response.json()["error"] == "NOT_HALL_STAFF"
    assert not Tournament.objects.exists()


def _iso(values: dict) -> dict:
    return {key: value.isoformat() for key, value in values.items()}


def test_create_over_rest_answers_with_the_tournament_and_refuses_bad_rules(client_for, staff, hall, tables) -> None:
    client = client_for(staff.user)
    body = {"hall": hall.pk, "name": "Cup", "tables": [tables[0].pk, tables[1].pk], **_iso(windows())}
    response = client.post("/api/tournaments/", {**body, "race_to": 5, "final_race_to": 7}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "registration" and len(response.json()["tables"]) == 2
    other_table = TableFactory(hall=HallFactory())
    cases = [
        ({"tables": [other_table.pk]}, "INVALID_TOURNAMENT"),
        ({"starts_at": body["ends_at"]}, "INVALID_TOURNAMENT"),
        ({"payout_split": [60, 30]}, "INVALID_TOURNAMENT"),
        ({"race_to": 0}, "VALIDATION_ERROR"),
        ({"format": "ladder"}, "VALIDATION_ERROR"),
    ]
    for change, code in cases:
        answer = client.post("/api/tournaments/", {**body, **change}, format="json")
        assert answer.status_code == 400 and answer.json()["error"] == code, (change, answer.content)
    # The same tables cannot be held twice at once: the booking service's own refusal, with its code.
    again = client.post("/api/tournaments/", body, format="json")
    assert again.status_code == 409 and again.json()["error"] == "TABLE_ALREADY_BOOKED"
    assert Tournament.objects.count() == 1


# --- Registration and check-in ----------------------------------------------------------------------


def test_registering_twice_when_full_or_closed_is_refused_with_its_code(make_tournament, client_for) -> None:
    tournament = make_tournament(players=0, player_cap=2)
    first, second, third = PlayerFactory(), PlayerFactory(), PlayerFactory()
    url = f"/api/tournaments/{tournament.pk}/register/"
    assert client_for(first.user).post(url).status_code == 201
    twice = client_for(first.user).post(url)
    assert twice.status_code == 409 and twice.json()["error"] == "ALREADY_REGISTERED"
    assert client_for(second.user).post(url).status_code == 201
    full = client_for(third.user).post(url)
    assert full.status_code == 409 and full.json()["error"] == "TOURNAMENT_FULL"
    # Withdrawing makes room; coming back is allowed.
    assert client_for(second.user).post(f"/api/tournaments/{tournament.pk}/withdraw/").status_code == 200
    assert client_for(third.user).post(url).status_code == 201
    not_in = client_for(second.user).post(f"/api/tournaments/{tournament.pk}/withdraw/")
    assert not_in.status_code == 409 and not_in.json()["error"] == "NOT_REGISTERED"
    with time_machine.travel(tournament.registration_closes_at + timedelta(minutes=1)):
        closed = client_for(second.user).post(url)
    assert closed.status_code == 409 and closed.json()["error"] == "REGISTRATION_CLOSED"
    assert Entry.objects.filter(tournament=tournament, status=Entry.Status.REGISTERED).count() == 2


def test_checking_in_only_in_its_window_staff_at_the_desk_any_time(make_tournament, client_for, staff) -> None:
    tournament = make_tournament(players=0, starts_in=timedelta(hours=2))
    player = PlayerFactory()
    client_for(player.user).post(f"/api/tournaments/{tournament.pk}/register/")
    url = f"/api/tournaments/{tournament.pk}/check-in/"
    with time_machine.travel(tournament.check_in_opens_at - timedelta(minutes=5)):
        early = client_for(player.user).post(url)
        assert early.status_code == 409 and early.json()["error"] == "CHECK_IN_CLOSED"
        at_desk = client_for(staff.user).post(url, {"player": player.pk}, format="json")
        assert at_desk.status_code == 200 and at_desk.json()["checked_in"] is True
    with time_machine.travel(tournament.check_in_opens_at + timedelta(minutes=5)):
        assert client_for(player.user).post(url).json()["checked_in"] is True
    stranger = PlayerFactory()
    refused = client_for(stranger.user).post(url, {"player": player.pk}, format="json")
    assert refused.status_code == 403 and refused.json()["error"] == "NOT_HALL_STAFF"


# --- Start: no-shows dropped, the draw, the first calls -------------------------------------------


def test_starting_with_fewer_than_two_checked_in_players_is_refused_and_changes_nothing(
    make_tournament, client_for, staff
) -> None:
    tournament = make_tournament(players=3, check_in=False)
    services.tournament_check_in(
        tournament_id=tournament.pk,
        player_id=Entry.objects.filter(tournament=tournament).first().player_id,
        user=staff.user,
    )
    response = client_for(staff.user).post(f"/api/tournaments/{tournament.pk}/start/")
    assert response.status_code == 409 and response.json()["error"] == "NOT_ENOUGH_PLAYERS"
    tournament.refresh_from_db()
    assert tournament.state == Tournament.State.REGISTRATION and not _matches(tournament)
    assert not Entry.objects.filter(tournament=tournament, status=Entry.Status.DROPPED).exists()


def test_start_drops_the_players_not_checked_in_and_seeds_the_rest_by_rating(make_tournament, staff, settle) -> None:
    tournament = make_tournament(players=0)
    ratings = [1900, 1800, 1700, 1600, 1500]
    players = [PlayerFactory(rating=rating) for rating in ratings]
    for player in players:
        services.tournament_register(tournament_id=tournament.pk, player=player)
    for player in players[1:]:  # the top-rated player does not show up
        services.tournament_check_in(tournament_id=tournament.pk, player_id=player.pk, user=staff.user)
    settle(services.tournament_start, tournament_id=tournament.pk, staff_user=staff.user)
    entries = {entry.player_id: entry for entry in Entry.objects.filter(tournament=tournament)}
    assert entries[players[0].pk].status == Entry.Status.DROPPED and entries[players[0].pk].seed is None
    assert [entries[p.pk].seed for p in players[1:]] == [1, 2, 3, 4]  # reseeded without the no-show
    assert Notification.objects.filter(recipient=players[0], type=Notification.Type.TOURNAMENT).exists()
    # Four players: a 4-player double elimination, 6 matches that may be played (the reset one included).
    assert len(_matches(tournament)) == 7
    again = pytest.raises(exceptions.AlreadyStarted)
    with again:
        services.tournament_start(tournament_id=tournament.pk, staff_user=staff.user)


def test_the_first_matches_are_called_to_the_free_tables_with_a_session_and_a_notification(make_tournament) -> None:
    tournament = make_tournament(players=8, table_count=3, start=True)
    called = _matches(tournament, Match.State.ON_TABLE)
    assert len(called) == 3  # three tables, four first-round matches: one waits
    assert len(_matches(tournament, Match.State.READY)) == 1
    _assert_tables_sane(tournament)
    first, second = _players(called[0])
    note = Notification.objects.get(recipient=first, type=Notification.Type.MATCH_CALLED)
    assert note.body == f"Table {called[0].on_table.number}, against {second.user.username}, race to 5."
    # The table's session clock runs as for any game, booked by the tournament.
    session = called[0].session
    assert {session.reservation.player_reserving_id, session.reservation.other_player_id} == {first.pk, second.pk}
    assert session.reservation.created_by == tournament.created_by


# --- Scores, results, the next match on the freed table ----------------------------------------------


def test_agreeing_reports_make_it_final_move_ratings_once_advance_and_call_the_next_match(
    make_tournament, settle
) -> None:
    tournament = make_tournament(players=8, table_count=3, start=True)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    table = match.on_table_id
    waiting = _matches(tournament, Match.State.READY)[0]
    first, second = _players(match)
    before = {p.pk: (p.rating, p.games_played) for p in (first, second)}
    _report(settle, tournament, match, first, 5, 2)
    match.refresh_from_db()
    waiting.refresh_from_db()
    # The first report ends the game: the table frees and the waiting match is called to it at once.
    assert match.state == Match.State.PLAYED and match.session.ended_at is not None
    assert waiting.state == Match.State.ON_TABLE and waiting.on_table_id == table
    first.refresh_from_db()
    assert first.rating == before[first.pk][0]  # one report moves nothing
    _report(settle, tournament, match, second, 2, 5)
    match.refresh_from_db()
    assert match.state == Match.State.DONE and match.winner.player_id == first.pk
    assert (match.score_a, match.score_b) == ((5, 2) if match.player_a.player_id == first.pk else (2, 5))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.rating > before[first.pk][0] and second.rating < before[second.pk][0]
    assert first.games_played == before[first.pk][1] + 1 and second.games_played == before[second.pk][1] + 1
    assert GameResult.objects.get(session=match.session).status == GameResult.Status.FINAL
    # The winner's next match has them in it; the loser dropped to the losers' side.
    assert Match.objects.filter(tournament=tournament, player_a__player=first).exclude(pk=match.pk).exists() or (
        Match.objects.filter(tournament=tournament, player_b__player=first).exclude(pk=match.pk).exists()
    )
    dropped = Match.objects.filter(tournament=tournament, bracket="L").filter(
        player_a__player=second
    ) | Match.objects.filter(tournament=tournament, bracket="L", player_b__player=second)
    assert dropped.exists()
    _assert_tables_sane(tournament)


def test_a_score_that_does_not_fit_the_race_is_refused_and_changes_nothing(make_tournament, client_for) -> None:
    tournament = make_tournament(players=4, start=True, race_to=5)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, _second = _players(match)
    url = f"/api/tournaments/{tournament.pk}/matches/{match.pk}/report/"
    for mine, theirs in ((5, 7), (4, 3), (5, 5), (7, 2)):
        response = client_for(first.user).post(url, {"my_score": mine, "opponent_score": theirs}, format="json")
        assert response.status_code == 400 and response.json()["error"] == "SCORE_DOES_NOT_FIT_RACE"
    match.refresh_from_db()
    assert match.state == Match.State.ON_TABLE and match.session.ended_at is None
    assert not GameResult.objects.exists()


def test_reporting_a_match_you_are_not_in_is_refused(make_tournament, client_for) -> None:
    tournament = make_tournament(players=4, start=True)
    match, other = _matches(tournament, Match.State.ON_TABLE)[:2]
    outsider, _ = _players(other)
    response = client_for(outsider.user).post(
        f"/api/tournaments/{tournament.pk}/matches/{match.pk}/report/",
        {"my_score": 5, "opponent_score": 1},
        format="json",
    )
    assert response.status_code == 403 and response.json()["error"] == "NOT_YOUR_MATCH"
    missing = client_for(outsider.user).post(
        f"/api/tournaments/{tournament.pk}/matches/999999/report/", {"my_score": 5, "opponent_score": 1}, format="json"
    )
    assert missing.status_code == 404 and missing.json()["error"] == "MATCH_NOT_FOUND"


def test_disagreeing_reports_go_to_staff_who_settle_them_and_ratings_move_once(
    make_tournament, settle, staff, client_for
) -> None:
    tournament = make_tournament(players=4, start=True)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, second = _players(match)
    for player in (first, second):  # each claims the win
        _report(settle, tournament, match, player, 5, 3)
    result = GameResult.objects.get(session=match.session)
    assert result.status == GameResult.Status.DISPUTED
    match.refresh_from_db()
    assert match.state == Match.State.PLAYED and match.winner is None
    a_is_first = match.player_a.player_id == first.pk
    url = f"/api/tournaments/{tournament.pk}/matches/{match.pk}/result/"
    body = {"score_a": 5, "score_b": 4} if a_is_first else {"score_a": 4, "score_b": 5}
    with_capture = settle(client_for(staff.user).post, url, body, format="json")
    assert with_capture.status_code == 200, with_capture.content
    match.refresh_from_db()
    assert match.state == Match.State.DONE and match.winner.player_id == first.pk
    first.refresh_from_db()
    games = first.games_played
    again = client_for(staff.user).post(url, body, format="json")
    assert again.status_code == 409 and again.json()["error"] == "MATCH_DECIDED"
    first.refresh_from_db()
    assert first.games_played == games == 1


def test_staff_enter_a_score_at_once_without_waiting_for_the_players(make_tournament, settle, staff) -> None:
    tournament = make_tournament(players=2, start=True)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    settle(
        services.match_result_by_staff,
        tournament_id=tournament.pk,
        match_id=match.pk,
        staff_user=staff.user,
        score_a=5,
        score_b=1,
    )
    match.refresh_from_db()
    assert match.state == Match.State.DONE
    assert GameResult.objects.get(session=match.session).status == GameResult.Status.FINAL


def test_staff_ending_the_game_from_the_board_frees_the_table_for_the_next_match(
    make_tournament, settle, staff
) -> None:
    tournament = make_tournament(players=8, table_count=3, start=True)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    waiting = _matches(tournament, Match.State.READY)[0]
    settle(reservation_services.session_end_by_staff, session_id=match.session_id, staff_user=staff.user)
    match.refresh_from_db()
    waiting.refresh_from_db()
    assert match.state == Match.State.PLAYED and match.on_table is None
    assert waiting.state == Match.State.ON_TABLE and waiting.on_table_id == match.table_id


def test_the_generic_result_report_also_advances_the_bracket(make_tournament, settle, client_for) -> None:
    """A tournament game is a game like any other: reported through the history endpoint, it advances too."""
    tournament = make_tournament(players=2, start=True)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, second = _players(match)
    settle(reservation_services.session_finish, session_id=match.session_id, early=True)
    for me in (first, second):
        body = {
            "game_session": match.session_id,
            "winner_player": first.pk,
            "loser_player": second.pk,
            "result_winner": 5,
            "result_loser": 0,
        }
        response = settle(client_for(me.user).post, f"/api/players/{me.pk}/history/", body, format="json")
        assert response.status_code == 201
    match.refresh_from_db()
    assert match.state == Match.State.DONE
    tournament.refresh_from_db()
    # Two players, double elimination: the winner of the only winners' match meets the loser in the final.
    assert _matches(tournament, Match.State.ON_TABLE)[0].key == "GF1"


def test_the_generic_endpoints_hold_a_tournament_game_to_its_race_too(
    make_tournament, settle, client_for, staff
) -> None:
    tournament = make_tournament(players=2, start=True, race_to=5)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, second = _players(match)
    settle(reservation_services.session_finish, session_id=match.session_id, early=True)
    url = f"/api/players/{first.pk}/history/"
    body = {"game_session": match.session_id, "winner_player": first.pk, "loser_player": second.pk}
    for winner_racks, loser_racks in ((7, 5), (4, 2)):
        response = client_for(first.user).post(
            url, {**body, "result_winner": winner_racks, "result_loser": loser_racks}, format="json"
        )
        assert response.status_code == 400 and response.json()["error"] == "SCORE_DOES_NOT_FIT_RACE"
    draw = {**body, "winner_player": second.pk, "loser_player": second.pk, "result_winner": 3, "result_loser": 3}
    refused = client_for(first.user).post(url, draw, format="json")
    assert refused.status_code == 400 and refused.json()["error"] == "SCORE_DOES_NOT_FIT_RACE"
    # Disputed (each claims the win): staff settling it as a draw, or past the race, are refused as well.
    _report(settle, tournament, match, first, 5, 2)
    _report(settle, tournament, match, second, 5, 2)
    settle_url = f"/api/poolhouses/{tournament.hall_id}/game-sessions/{match.session_id}/result/"
    for settlement in (
        {"tie": True, "result_winner": 2, "result_loser": 2},
        {"winner_player": first.pk, "result_winner": 6, "result_loser": 2},
    ):
        answer = client_for(staff.user).post(settle_url, settlement, format="json")
        assert answer.status_code == 400 and answer.json()["error"] == "SCORE_DOES_NOT_FIT_RACE", answer.content
    assert GameResult.objects.get(session_id=match.session_id).status == GameResult.Status.DISPUTED


# --- Staff: call, move, forfeit, undo ---------------------------------------------------------------


def test_staff_call_a_match_by_hand_and_move_it_to_another_table(make_tournament, settle, staff, tables) -> None:
    tournament = make_tournament(players=8, table_count=2, start=True)
    playing = _matches(tournament, Match.State.ON_TABLE)
    waiting = _matches(tournament, Match.State.READY)[0]
    with pytest.raises(exceptions.TableNotAvailable):  # both tables are taken
        services.match_call(tournament_id=tournament.pk, match_id=waiting.pk, staff_user=staff.user, table_id=None)
    # Free table 1 by ending its game, then call the waiting match there... which the queue already did.
    settle(reservation_services.session_end_by_staff, session_id=playing[0].session_id, staff_user=staff.user)
    waiting.refresh_from_db()
    assert waiting.state == Match.State.ON_TABLE
    # Add table 3 to the tournament's free tables: end the second game, then move the first match there.
    with pytest.raises(exceptions.MatchNotReady):
        services.match_call(tournament_id=tournament.pk, match_id=waiting.pk, staff_user=staff.user, table_id=None)
    settle(reservation_services.session_end_by_staff, session_id=playing[1].session_id, staff_user=staff.user)
    now_playing = _matches(tournament, Match.State.ON_TABLE)
    assert len(now_playing) == 2
    moving = now_playing[0]
    services.match_rack(
        tournament_id=tournament.pk, match_id=moving.pk, user=staff.user, player_id=moving.player_a.player_id
    )
    target = next(t for t in tables[:2] if t.pk != moving.on_table_id)
    with pytest.raises(exceptions.TableNotAvailable):  # the other table is busy too
        services.match_move(tournament_id=tournament.pk, match_id=moving.pk, staff_user=staff.user, table_id=target.pk)
    _assert_tables_sane(tournament)


def test_a_moved_match_goes_on_at_its_new_table_and_leaves_no_game_to_report_behind(
    make_tournament, settle, staff, tables
) -> None:
    tournament = make_tournament(players=2, table_count=2, start=True, format="single_elimination")
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, second = _players(match)
    services.match_rack(tournament_id=tournament.pk, match_id=match.pk, user=staff.user, player_id=first.pk)
    old_session, old_table = match.session, match.on_table
    target = next(t for t in tables[:2] if t.pk != old_table.pk)
    settle(
        services.match_move, tournament_id=tournament.pk, match_id=match.pk, staff_user=staff.user, table_id=target.pk
    )
    match.refresh_from_db()
    old_session.refresh_from_db()
    assert (match.on_table_id, match.state, match.score_a) == (target.pk, Match.State.ON_TABLE, 1)
    assert old_session.ended_at is not None and old_session.moved and old_session.minutes_played is not None
    assert match.session_id != old_session.pk and match.session.ended_at is None
    asked = Notification.objects.filter(type=Notification.Type.ENTER_RESULT, extra=str(old_session.pk))
    assert not asked.exists()  # the game is not over for its players
    with pytest.raises(ratings_exceptions.GameMoved):
        ratings_services.result_report(
            session_id=old_session.pk,
            reporter=first,
            winner_id=first.pk,
            loser_id=second.pk,
            result_winner=5,
            result_loser=0,
        )
    _both_report(settle, tournament, match)
    assert GameResult.objects.filter(session=old_session).count() == 0
    assert GameResult.objects.get(session_id=match.session_id).status == GameResult.Status.FINAL
    assert Player.objects.get(pk=first.pk).games_played == 1


def test_forfeit_advances_the_other_player_and_moves_no_rating(make_tournament, settle, staff) -> None:
    tournament = make_tournament(players=4, start=True)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, second = _players(match)
    ratings_before = (first.rating, second.rating)
    settle(
        services.match_forfeit,
        tournament_id=tournament.pk,
        match_id=match.pk,
        staff_user=staff.user,
        player_id=second.pk,
    )
    match.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert match.state == Match.State.DONE and match.forfeit and match.winner.player_id == first.pk
    assert (first.rating, second.rating) == ratings_before
    assert not GameResult.objects.filter(session=match.session, status=GameResult.Status.FINAL).exists()
    with pytest.raises(exceptions.InvalidTournament):
        other = _matches(tournament, Match.State.ON_TABLE)[0]
        services.match_forfeit(
            tournament_id=tournament.pk, match_id=other.pk, staff_user=staff.user, player_id=first.pk
        )


def test_undo_reopens_the_downstream_matches_that_have_not_started(make_tournament, settle, staff) -> None:
    tournament = make_tournament(players=4, table_count=1, start=True)
    first_match = _matches(tournament, Match.State.ON_TABLE)[0]
    settle(
        services.match_forfeit,
        tournament_id=tournament.pk,
        match_id=first_match.pk,
        staff_user=staff.user,
        player_id=first_match.player_b.player_id,
    )
    # The only table took the other first-round match; the winner's next match waits for it (pending).
    winners_final = Match.objects.get(tournament=tournament, key="W2-1")
    assert winners_final.state == Match.State.PENDING and winners_final.player_a_id == first_match.player_a_id
    settle(services.tournament_undo, tournament_id=tournament.pk, staff_user=staff.user)
    first_match.refresh_from_db()
    winners_final.refresh_from_db()
    assert first_match.state == Match.State.READY and first_match.winner is None and not first_match.forfeit
    assert winners_final.player_a_id is None and winners_final.player_b_id is None
    # Decide it again, then let its downstream start: now undo is blocked.
    settle(
        services.match_forfeit,
        tournament_id=tournament.pk,
        match_id=first_match.pk,
        staff_user=staff.user,
        player_id=first_match.player_b.player_id,
    )
    second = _matches(tournament, Match.State.ON_TABLE)[0]
    settle(
        services.match_forfeit,
        tournament_id=tournament.pk,
        match_id=second.pk,
        staff_user=staff.user,
        player_id=second.player_b.player_id,
    )
    assert Match.objects.get(tournament=tournament, key="W2-1").state in (Match.State.ON_TABLE, Match.State.READY)
    loser_side = Match.objects.get(tournament=tournament, key="L1-1")
    assert loser_side.state in (Match.State.ON_TABLE, Match.State.READY)
    started = Match.objects.filter(tournament=tournament, key__in=["W2-1", "L1-1"], state=Match.State.ON_TABLE)
    assert started.exists()
    with pytest.raises(exceptions.UndoBlocked):
        services.tournament_undo(tournament_id=tournament.pk, staff_user=staff.user)


def _glicko(player: Player) -> tuple[float, float, float, int, int, int]:
    player.refresh_from_db()
    return (
        player.rating,
        player.rating_deviation,
        player.rating_volatility,
        player.games_played,
        player.games_won,
        player.opponents_met,
    )


def test_undo_of_a_rated_result_takes_its_rating_change_back(make_tournament, settle, staff) -> None:
    """The director undoes a final that was reported the wrong way round and enters the score that stands:
    both players end exactly as if only the right result had ever been rated (the game rated once)."""
    tournament = make_tournament(players=2, start=True, format="single_elimination")
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, second = _players(match)
    before = {player.pk: _glicko(player) for player in (first, second)}
    _both_report(settle, tournament, match)  # first won 5-3
    assert _glicko(first)[0] > before[first.pk][0] and _glicko(first)[4] == before[first.pk][4] + 1
    tournament.refresh_from_db()
    assert tournament.state == Tournament.State.FINISHED

    settle(services.tournament_undo, tournament_id=tournament.pk, staff_user=staff.user)
    match.refresh_from_db()
    tournament.refresh_from_db()
    assert match.state == Match.State.PLAYED and match.winner is None
    assert tournament.state == Tournament.State.RUNNING and tournament.champion is None
    assert {player.pk: _glicko(player) for player in (first, second)} == before
    result = GameResult.objects.get(session_id=match.session_id)
    assert result.status == GameResult.Status.DISPUTED and result.winner_rating_after is None
    services.tournament_tick()  # nothing final to take again
    match.refresh_from_db()
    assert match.state == Match.State.PLAYED

    settle(
        services.match_result_by_staff,
        tournament_id=tournament.pk,
        match_id=match.pk,
        staff_user=staff.user,
        score_a=3,
        score_b=5,
    )
    match.refresh_from_db()
    tournament.refresh_from_db()
    assert match.state == Match.State.DONE and match.winner_id == match.player_b_id
    assert tournament.state == Tournament.State.FINISHED
    result.refresh_from_db()
    assert result.status == GameResult.Status.FINAL and result.winner_id == second.pk
    # Rated once, by the result that stands: the same change as a fresh game 5-3 for the second player.
    winner, loser = rate_game(Rating(*before[second.pk][:3]), Rating(*before[first.pk][:3]), 1.0)
    assert _glicko(second)[:3] == pytest.approx((winner.rating, winner.deviation, winner.volatility))
    assert _glicko(first)[:3] == pytest.approx((loser.rating, loser.deviation, loser.volatility))
    assert _glicko(second)[3:] == (before[second.pk][3] + 1, before[second.pk][4] + 1, before[second.pk][5] + 1)
    assert _glicko(first)[3:] == (before[first.pk][3] + 1, before[first.pk][4], before[first.pk][5] + 1)


def test_undo_after_a_later_rated_game_moves_back_by_its_own_change(make_tournament, settle, staff) -> None:
    """A player rated again since (in another game) keeps that game's change: the undone one is subtracted."""
    tournament = make_tournament(players=2, start=True, format="single_elimination")
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, _second = _players(match)
    _both_report(settle, tournament, match)
    result = GameResult.objects.get(session_id=match.session_id)
    change = result.winner_rating_after - result.winner_rating_before
    Player.objects.filter(pk=first.pk).update(rating=F("rating") + 12.5)  # as another game would
    later = _glicko(first)
    settle(services.tournament_undo, tournament_id=tournament.pk, staff_user=staff.user)
    assert _glicko(first)[0] == pytest.approx(later[0] - change)
    assert _glicko(first)[1:3] == later[1:3]


def test_staff_actions_need_staff_of_this_hall(make_tournament, client_for) -> None:
    tournament = make_tournament(players=4, start=True)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    player, _ = _players(match)
    for path, body in (
        ("undo/", {}),
        (f"matches/{match.pk}/forfeit/", {"player": player.pk}),
        (f"matches/{match.pk}/result/", {"score_a": 5, "score_b": 0}),
        (f"matches/{match.pk}/move/", {"table_id": match.on_table_id}),
    ):
        response = client_for(player.user).post(f"/api/tournaments/{tournament.pk}/{path}", body, format="json")
        assert response.status_code == 403 and response.json()["error"] == "NOT_HALL_STAFF", path


# --- Live score, estimates ---------------------------------------------------------------------------


def test_live_racks_stay_within_the_race_and_estimates_follow_the_score(make_tournament, client_for) -> None:
    tournament = make_tournament(players=8, table_count=3, start=True, race_to=3)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, _second = _players(match)
    url = f"/api/tournaments/{tournament.pk}/matches/{match.pk}/rack/"
    waiting_before = client_for(first.user).get(f"/api/tournaments/{tournament.pk}/matches/").json()
    estimate_before = next(card for card in waiting_before if card["state"] == "ready")["estimated_start"]
    for _ in range(3):
        assert client_for(first.user).post(url, {"player": first.pk}, format="json").status_code == 200
    over = client_for(first.user).post(url, {"player": first.pk}, format="json")
    assert over.status_code == 400 and over.json()["error"] == "SCORE_DOES_NOT_FIT_RACE"
    cards = client_for(first.user).get(f"/api/tournaments/{tournament.pk}/matches/").json()
    card = next(card for card in cards if card["id"] == match.pk)
    assert (card["score_a"] if card["a"]["player_id"] == first.pk else card["score_b"]) == 3
    waiting = next(card for card in cards if card["state"] == "ready")
    assert waiting["estimated_start"] < estimate_before  # one match is nearly over: its table frees sooner
    outsider = PlayerFactory()
    refused = client_for(outsider.user).post(url, {"player": first.pk}, format="json")
    assert refused.status_code == 403 and refused.json()["error"] == "NOT_YOUR_MATCH"


def test_the_bracket_is_public(make_tournament, api) -> None:
    tournament = make_tournament(players=4, start=True)
    response = api.get(f"/api/tournaments/{tournament.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "running" and len(body["matches"]) == 7 and len(body["entries"]) == 4
    listed = api.get(f"/api/tournaments/?hall={tournament.hall_id}&state=running").json()
    assert [row["id"] for row in listed] == [tournament.pk] and listed[0]["players_registered"] == 4
    assert api.get("/api/tournaments/?state=finished").json() == []
    assert api.get("/api/tournaments/0/").status_code == 404


# --- To the end -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format_", "players", "rules"),
    [
        ("single_elimination", 5, {}),
        ("double_elimination", 6, {"final_race_to": 7}),
        ("round_robin", 6, {"groups": 2}),
        ("swiss", 5, {"swiss_rounds": 3}),
    ],
)
def test_a_tournament_plays_to_its_champion_with_the_tables_sane_at_every_step(
    make_tournament, settle, format_, players, rules
) -> None:
    tournament = make_tournament(players=players, table_count=2, start=True, format=format_, **rules)
    played = 0
    while True:
        tournament.refresh_from_db()
        if tournament.state == Tournament.State.FINISHED:
            break
        playing = _matches(tournament, Match.State.ON_TABLE)
        assert playing, [(m.key, m.state) for m in _matches(tournament)]
        match = playing[0]
        assert match.race_a == match.race_b == tournament.race_for(final=match.final)
        _both_report(settle, tournament, match, match.race_a, 1)
        played += 1
        _assert_tables_sane(tournament)
        assert played < 100
    assert tournament.champion is not None and tournament.finished_at is not None
    drawn = Entry.objects.filter(tournament=tournament, seed__isnull=False).count()
    finals = GameResult.objects.filter(session__tournament_match__tournament=tournament, status="final").count()
    assert finals == played  # every game moved ratings exactly once
    if format_ == "double_elimination":
        assert played in (2 * drawn - 2, 2 * drawn - 1)
    if format_ == "single_elimination":
        assert played == drawn - 1
    if format_ == "round_robin":
        assert played == 2 * 3  # two groups of three
    if format_ == "swiss":
        assert tournament.swiss_round == 3 and played == 3 * 2  # 5 players: 2 games and a bye a round
    assert Notification.objects.filter(type=Notification.Type.TOURNAMENT, body__contains="won").count() == drawn


def test_handicap_races_come_from_the_rating_gap_and_cards_show_both_chances(make_tournament, api) -> None:
    tournament = make_tournament(players=2, start=True, handicap=True, race_to=7, ratings=[2100.0, 1400.0])
    match = _matches(tournament)[0]
    stronger_first = match.player_a.player.rating > match.player_b.player.rating
    strong_race, weak_race = (match.race_a, match.race_b) if stronger_first else (match.race_b, match.race_a)
    assert strong_race == 7 and weak_race < 7
    card = next(c for c in api.get(f"/api/tournaments/{tournament.pk}/").json()["matches"] if c["id"] == match.pk)
    assert abs(card["win_probability_a"] - 0.5) < 0.15
    assert card["win_probability_a"] + card["win_probability_b"] == pytest.approx(1)
    assert timezone.now()  # the clock is real here; nothing above depends on it


def test_swiss_keeps_players_who_block_each_other_apart_while_it_can(make_tournament, settle, staff) -> None:
    from apps.social.models import Block
    from apps.tournaments import formats

    tournament = make_tournament(players=4, format="swiss", swiss_rounds=1, ratings=[1900.0, 1800.0, 1700.0, 1600.0])
    entries = list(Entry.objects.filter(tournament=tournament).select_related("player"))
    # The pairing the round would make without a block, from the same pure function the service uses.
    field = [formats.SwissPlayer(entry.pk, 0, entry.player.rating) for entry in entries]
    (first, second), _other = formats.swiss_pairings(field, met=set(), had_bye=set())[0]
    player_of = {entry.pk: entry.player for entry in entries}
    Block.objects.create(blocker=player_of[first], blocked=player_of[second])
    settle(services.tournament_start, tournament_id=tournament.pk, staff_user=staff.user)
    tournament.refresh_from_db()
    drawn = {frozenset(p.pk for p in _players(match)) for match in _matches(tournament)}
    assert len(drawn) == 2 and frozenset((player_of[first].pk, player_of[second].pk)) not in drawn


@pytest.mark.parametrize("format", ["single_elimination", "double_elimination"])
def test_an_elimination_draw_keeps_players_who_block_each_other_out_of_one_first_round_match(
    make_tournament, settle, staff, format
) -> None:
    from apps.social.models import Block

    # By rating, seed 1 meets seed 4 and seed 2 meets seed 3; the seeds 2 and 3 block each other.
    tournament = make_tournament(players=4, format=format, ratings=[1900.0, 1800.0, 1700.0, 1600.0])
    by_rating = {entry.player.rating: entry.player for entry in Entry.objects.filter(tournament=tournament)}
    Block.objects.create(blocker=by_rating[1700.0], blocked=by_rating[1800.0])
    settle(services.tournament_start, tournament_id=tournament.pk, staff_user=staff.user)
    first_round = Match.objects.filter(tournament=tournament, key__startswith="W1-")
    drawn = {frozenset(p.pk for p in _players(match)) for match in first_round}
    assert len(drawn) == 2 and frozenset((by_rating[1700.0].pk, by_rating[1800.0].pk)) not in drawn
    seeds = {entry.player.rating: entry.seed for entry in Entry.objects.filter(tournament=tournament)}
    assert seeds[1900.0] == 1  # the top seed keeps its place


def test_a_finished_tournament_gives_its_tables_back_and_an_undo_holds_them_again(
    make_tournament, settle, staff
) -> None:
    tournament = make_tournament(players=2, start=True, format="single_elimination", table_count=2)
    rows = list(tournament.tables.select_related("hold"))
    assert all(row.hold.end_time > timezone.now() for row in rows)
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    _both_report(settle, tournament, match)
    tournament.refresh_from_db()
    assert tournament.state == Tournament.State.FINISHED
    for row in rows:
        row.hold.refresh_from_db()
        assert row.hold.end_time <= timezone.now() or row.hold.status == Reservation.Status.CANCELLED
    # The table takes a player's booking again (once the hall's minutes to tidy up are over).
    after_tidying = timedelta(minutes=rows[0].table.hall.cleaning_buffer_minutes + 1)
    reservation_services.reservation_create(
        table=rows[0].table, start=timezone.now() + after_tidying, minutes=30, player=PlayerFactory()
    )

    settle(services.tournament_undo, tournament_id=tournament.pk, staff_user=staff.user)
    tournament.refresh_from_db()
    assert tournament.state == Tournament.State.RUNNING
    for row in rows:
        row.hold.refresh_from_db()
    assert rows[1].hold.status == Reservation.Status.BOOKED  # free: held again until the end
    assert rows[1].hold.start_time <= timezone.now() < rows[1].hold.end_time == tournament.ends_at
    assert rows[0].hold.end_time <= timezone.now()  # booked meanwhile: stays out of it


def test_a_report_builds_no_snapshot_a_fresher_one_already_went_out_for(make_tournament, settle, monkeypatch) -> None:
    """The second report records it and makes the result final, which advances the bracket: the watchers'
    snapshot is built for the bracket as it ends up, not again for the report it already shows."""
    from apps.tournaments import selectors

    tournament = make_tournament(players=4, start=True, table_count=1, format="single_elimination")
    match = _matches(tournament, Match.State.ON_TABLE)[0]
    first, second = _players(match)
    _report(settle, tournament, match, first, 5, 3)
    built: list[int] = []
    real = selectors.snapshot_rows

    def counted(**kwargs):
        rows = real(**kwargs)
        built.append(rows.tournament.version)
        return rows

    monkeypatch.setattr(selectors, "snapshot_rows", counted)
    _report(settle, tournament, match, second, 3, 5)
    tournament.refresh_from_db()
    assert Match.objects.get(pk=match.pk).state == Match.State.DONE
    assert built == [tournament.version]  # one build, of the latest version
