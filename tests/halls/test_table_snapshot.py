"""The hall's table list is kept ready between changes, answers conditional requests, and every change that
reaches the live board (or the admin) makes it current again."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.reservations import services
from tests.factories import HallStaffFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly

pytestmark = pytest.mark.django_db(transaction=True)  # board pushes run after commit


def _tables(api, hall_id, **headers):
    return api.get(f"/api/poolhouses/{hall_id}/tables/", **headers)


def test_a_repeated_read_costs_no_query_and_a_conditional_one_is_a_304(api, hall):
    TableFactory(hall=hall, number=1)
    first = _tables(api, hall.pk)
    assert first.status_code == 200 and first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        again = _tables(api, hall.pk)
    assert again.content == first.content and len(queries) == 0
    unchanged = _tables(api, hall.pk, HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304 and unchanged["ETag"] == first["ETag"]


def test_every_state_change_shows_at_once(api, hall):
    table = TableFactory(hall=hall, number=1)
    staff = HallStaffFactory(hall=hall).user
    etag = _tables(api, hall.pk)["ETag"]
    booking = book_directly(table, PlayerFactory(), PlayerFactory(), start=timezone.now() - timedelta(seconds=1))
    session = services.session_start(reservation_id=booking.pk)
    busy = _tables(api, hall.pk, HTTP_IF_NONE_MATCH=etag)
    assert busy.status_code == 200 and busy.json()[0]["state"] == "busy" and busy["ETag"] != etag
    services.session_end_by_staff(session_id=session.pk, staff_user=staff)
    assert _tables(api, hall.pk).json()[0]["state"] == "free"

    admin = Client()
    admin.force_login(staff)
    answer = admin.post(
        "/admin/halls/pooltable/",
        {
            "form-TOTAL_FORMS": 1,
            "form-INITIAL_FORMS": 1,
            "form-0-id": table.pk,
            "form-0-out_of_service": "on",
            "_save": "Save",
        },
    )
    assert answer.status_code == 302
    assert _tables(api, hall.pk).json()[0]["state"] == "out_of_service"


def test_a_player_in_a_running_game_gets_their_own_email_never_stored_for_others(api, client_for, hall):
    table = TableFactory(hall=hall, number=1)
    me, other = PlayerFactory(), PlayerFactory()
    booking = book_directly(table, me, other, start=timezone.now() - timedelta(seconds=1))
    services.session_start(reservation_id=booking.pk)
    anonymous = _tables(api, hall.pk).json()
    assert anonymous[0]["current_session"]["player_reserving"]["user"]["email"] == ""
    mine = client_for(me.user).get(f"/api/poolhouses/{hall.pk}/tables/")
    assert mine.json()[0]["current_session"]["player_reserving"]["user"]["email"] == me.user.email
    assert "ETag" not in mine
    assert _tables(api, hall.pk).json()[0]["current_session"]["player_reserving"]["user"]["email"] == ""
    assert client_for(other.user).get(f"/api/poolhouses/{hall.pk}/tables/").json() != mine.json()


def test_a_missing_hall_is_still_a_404(api):
    assert _tables(api, 999999).status_code == 404


def test_a_remembered_token_still_expires_and_a_forged_one_is_refused(api, client_for, hall, settings):
    import time_machine
    from rest_framework_simplejwt.tokens import AccessToken

    TableFactory(hall=hall, number=1)
    player = PlayerFactory()
    token = str(AccessToken.for_user(player.user))
    url = f"/api/poolhouses/{hall.pk}/tables/"
    assert api.get(url, HTTP_AUTHORIZATION=f"JWT {token}").status_code == 200
    assert api.get(url, HTTP_AUTHORIZATION=f"JWT {token}").status_code == 200  # remembered
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert api.get(url, HTTP_AUTHORIZATION=f"JWT {forged}").status_code == 401
    with time_machine.travel(timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(minutes=1)):
        assert api.get(url, HTTP_AUTHORIZATION=f"JWT {token}").status_code == 401


def test_a_tournaments_hold_running_out_by_the_clock_is_no_304(api, hall, settings):
    """Nothing is announced when a hold's hours end: the kept answer is rebuilt within
    BOARD_SNAPSHOT_SECONDS, and a client revalidating its copy gets the new one, not a 304."""
    from tests.tournaments.rows import running_tournament

    settings.BOARD_SNAPSHOT_SECONDS = 1  # kept copies last a second of the process's own (monotonic) clock
    staff = HallStaffFactory(hall=hall).user
    table, spare = TableFactory(hall=hall, number=1), TableFactory(hall=hall, number=2)
    tournament, _match = running_tournament(hall, staff, PlayerFactory(), PlayerFactory(), [table, spare])
    held = _tables(api, hall.pk)
    rows = {row["table_id"]: row for row in held.json()}
    assert (rows[2]["state"], rows[2]["free"], rows[2]["held_for"]["id"]) == ("held", False, tournament.pk)
    hours_over = tournament.tables.get(table=spare).hold.end_time + timedelta(seconds=1)
    with time_machine.travel(hours_over, tick=False):
        time.sleep(1.1)  # the kept copies expire
        after = _tables(api, hall.pk, HTTP_IF_NONE_MATCH=held["ETag"])
    assert after.status_code == 200 and after["ETag"] != held["ETag"]
    assert {row["table_id"]: row["state"] for row in after.json()}[2] == "free"
