"""The queue on the sockets, through strikem.asgi.application: the party's actions and pushes on
`/ws/base/`, the staff's queue watch, and the anonymous, read-only `/ws/public/` wait list."""

import json
from datetime import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import ws_ticket_issue
from apps.walkup import services
from apps.walkup.models import Offer, QueueEntry
from strikem.asgi import application
from tests.factories import HallFactory, HallStaffFactory, PlayerFactory, TableFactory
from tests.walkup.helpers import running_game

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(path: str, user=None, origin: str | None = None) -> WebsocketCommunicator:
    if user is not None:
        ticket = await database_sync_to_async(ws_ticket_issue)(user=user)
        path = f"{path}?uuid={ticket}"
    headers = [(b"host", b"testserver")] + ([(b"origin", origin.encode())] if origin else [])
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _frame(communicator, protocol: str, timeout: float = 5) -> dict:
    """The next frame of that protocol (or the error frame when `protocol` is "error")."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("protocol") == protocol or frame.get("type") == protocol:
            return frame


@pytest.fixture
def open_hall(db):
    return HallFactory(open_time=time(0), close_time=time(0), time_zone="Europe/Berlin")


async def test_a_party_joins_on_the_socket_is_offered_a_table_and_confirms_it(open_hall):
    table = await database_sync_to_async(TableFactory)(hall=open_hall, number=3)
    player = await database_sync_to_async(PlayerFactory)()
    socket = await _open("/ws/base/", player.user)
    try:
        await socket.send_json_to({"action": "walkup", "protocol": "join", "hall": open_hall.slug, "party_size": 2})
        offered = await _frame(socket, "table_offered")
        assert offered["offer"]["table_number"] == 3 and offered["hall_id"] == open_hall.pk
        status = await _frame(socket, "queue_status")
        assert status["entry"]["position"] == 1 and status["entry"]["offer"]["id"] == offered["offer"]["id"]
        await socket.send_json_to({"action": "walkup", "protocol": "confirm", "offer_id": offered["offer"]["id"]})
        seated = await _frame(socket, "queue_status")
        assert (seated["entry"]["status"], seated["entry"]["position"]) == ("seated", None)
        entry = await database_sync_to_async(QueueEntry.objects.get)(player=player)
        assert entry.reservation_id == seated["entry"]["reservation"]
        reserved_table = await database_sync_to_async(lambda: entry.reservation.table_id)()
        assert reserved_table == table.pk
    finally:
        await socket.disconnect()


async def test_bad_queue_frames_get_error_frames_and_change_nothing(open_hall):
    await database_sync_to_async(TableFactory)(hall=open_hall, kind="pool")
    player = await database_sync_to_async(PlayerFactory)()
    socket = await _open("/ws/base/", player.user)
    try:
        for frame, code in [
            ({"action": "walkup", "protocol": "join", "hall": open_hall.slug, "party_size": "many"}, "INVALID_FRAME"),
            ({"action": "walkup", "protocol": "join", "hall": "no-such-hall", "party_size": 2}, "HALL_NOT_FOUND"),
            ({"action": "walkup", "protocol": "join", "hall": ["x"], "party_size": 2}, "HALL_NOT_FOUND"),
            (
                {
                    "action": "walkup",
                    "protocol": "join",
                    "hall": open_hall.slug,
                    "party_size": 2,
                    "table_kind": "snooker",
                },
                "TABLE_KIND_NOT_HERE",
            ),
            ({"action": "walkup", "protocol": "confirm", "offer_id": "first"}, "INVALID_FRAME"),
            ({"action": "walkup", "protocol": "confirm", "offer_id": 999999}, "OFFER_NOT_FOUND"),
            ({"action": "walkup", "protocol": "leave", "entry_id": True}, "INVALID_FRAME"),
            ({"action": "walkup", "protocol": "leave", "entry_id": 999999}, "QUEUE_ENTRY_NOT_FOUND"),
            ({"action": "walkup", "protocol": "watch", "hall": open_hall.slug}, "NOT_HALL_STAFF"),
        ]:
            await socket.send_json_to(frame)
            assert (await _frame(socket, "error"))["error"] == code, frame
        assert not await database_sync_to_async(QueueEntry.objects.exists)()
    finally:
        await socket.disconnect()


async def test_staff_watch_the_queue_beside_the_board_and_see_each_change(open_hall):
    table = await database_sync_to_async(TableFactory)(hall=open_hall, number=1)
    await database_sync_to_async(running_game)(table, minutes_left=30)
    staff = await database_sync_to_async(lambda: HallStaffFactory(hall=open_hall).user)()
    socket = await _open("/ws/base/", staff)
    try:
        await socket.send_json_to({"action": "poolhouse", "protocol": "initial", "poolhouseName": open_hall.slug})
        await _frame(socket, "board_snapshot")
        await socket.send_json_to({"action": "walkup", "protocol": "watch", "hall": open_hall.slug})
        snapshot = await _frame(socket, "walkup_queue")
        assert snapshot["entries"] == [] and snapshot["tables_freeing"][0]["table_number"] == 1
        player = await database_sync_to_async(PlayerFactory)(user__username="gela")
        await database_sync_to_async(services.queue_join)(hall=open_hall, player=player, party_size=4, name="Gela")
        changed = await _frame(socket, "walkup_queue")
        (entry,) = changed["entries"]
        assert (entry["name"], entry["username"], entry["party_size"]) == ("Gela", "gela", 4)
        assert entry["wait"]["low"] <= entry["wait"]["typical"] <= entry["wait"]["high"]
        # The board watch goes on beside it.
        session = await database_sync_to_async(lambda: table.sessions.get())()
        await database_sync_to_async(services.reservations.session_end_by_staff)(
            session_id=session.pk, staff_user=staff
        )
        await _frame(socket, "now_free")
        offered = await _frame(socket, "walkup_queue")
        assert offered["entries"][0]["offer"]["table_number"] == 1
    finally:
        await socket.disconnect()


async def test_the_public_socket_takes_anonymous_watchers_of_the_wait_list_and_pushes_each_change(open_hall):
    table = await database_sync_to_async(TableFactory)(hall=open_hall, number=5)
    await database_sync_to_async(running_game)(table, minutes_left=25)
    screen = await _open("/ws/public/")
    try:
        await screen.send_json_to({"action": "watch", "protocol": "waitlist", "hall": open_hall.slug})
        first = (await _frame(screen, "waitlist"))["waitlist"]
        assert first["parties"] == [] and first["hall"] == open_hall.pk
        player = await database_sync_to_async(PlayerFactory)(
            user__username="secret-name", user__first_name="Secret", user__email="secret@example.com"
        )
        await database_sync_to_async(services.queue_join)(hall=open_hall, player=player, party_size=2, name="S.")
        pushed = await _frame(screen, "waitlist")
        (party,) = pushed["waitlist"]["parties"]
        assert (party["name"], party["position"], party["offered"]) == ("S.", 1, False)
        text = json.dumps(pushed)
        for private in ("secret-name", "Secret", "secret@example.com"):
            assert private not in text
        # Nothing but watching: the player socket's actions are unknown here.
        await screen.send_json_to({"action": "walkup", "protocol": "join", "hall": open_hall.slug, "party_size": 2})
        assert (await _frame(screen, "error"))["error"] == "UNKNOWN_ACTION"
        await screen.send_json_to({"action": "matchmake", "protocol": "control_user"})
        assert (await _frame(screen, "error"))["error"] == "UNKNOWN_ACTION"
        await screen.send_json_to({"action": "watch", "protocol": "waitlist", "hall": "nowhere"})
        assert (await _frame(screen, "error"))["error"] == "HALL_NOT_FOUND"
        await screen.send_json_to({"action": "unwatch"})
        await database_sync_to_async(services.queue_add_at_desk)(
            hall=open_hall,
            user=await database_sync_to_async(lambda: HallStaffFactory(hall=open_hall).user)(),
            name="D",
            party_size=2,
        )
        assert await screen.receive_nothing(timeout=1)
    finally:
        await screen.disconnect()


async def test_the_public_socket_checks_the_origin_and_the_frame_budget(open_hall):
    foreign = WebsocketCommunicator(
        application, "/ws/public/", headers=[(b"host", b"testserver"), (b"origin", b"https://evil.example.com")]
    )
    await foreign.connect(timeout=5)
    closed = await foreign.receive_output(timeout=5)
    assert (closed["type"], closed.get("code")) == ("websocket.close", 4403)
    await foreign.disconnect()

    screen = await _open("/ws/public/", origin="http://localhost:3000")
    try:
        await screen.send_to(text_data="[1, 2]")
        assert (await _frame(screen, "error"))["error"] == "MALFORMED_FRAME"
        for _ in range(60):
            await screen.send_to(text_data=json.dumps({"action": "unwatch"}))
        errors = []
        while not await screen.receive_nothing(timeout=0.3):
            output = await screen.receive_output(timeout=1)
            if output["type"] == "websocket.close":
                errors.append(("close", output.get("code")))
                break
            errors.append(json.loads(output["text"]).get("error"))
        assert "RATE_LIMITED" in errors
    finally:
        await screen.disconnect()


async def test_the_wait_list_frames_follow_offers_being_made(open_hall):
    await database_sync_to_async(TableFactory)(hall=open_hall, number=1)
    screen = await _open("/ws/public/")
    try:
        await screen.send_json_to({"action": "watch", "protocol": "waitlist", "hall": open_hall.slug})
        await _frame(screen, "waitlist")
        player = await database_sync_to_async(PlayerFactory)()
        await database_sync_to_async(services.queue_join)(hall=open_hall, player=player, party_size=2, name="N")
        pushed = (await _frame(screen, "waitlist"))["waitlist"]
        assert pushed["parties"][0]["offered"] is True and pushed["parties"][0]["wait"] == {
            "low": 0,
            "typical": 0,
            "high": 0,
            "past_closing": False,
        }
        assert await database_sync_to_async(Offer.objects.filter(status="pending").count)() == 1
    finally:
        await screen.disconnect()


async def test_staff_add_a_party_and_seat_it_from_the_socket_and_the_player_gets_more_time(open_hall):
    await database_sync_to_async(TableFactory)(hall=open_hall, number=1, kind="pool")
    busy = await database_sync_to_async(TableFactory)(hall=open_hall, number=2, kind="pool")
    await database_sync_to_async(running_game)(busy, minutes_left=40)
    staff = (await database_sync_to_async(HallStaffFactory)(hall=open_hall)).user
    player = await database_sync_to_async(PlayerFactory)()
    desk = await _open("/ws/base/", staff)
    mine = await _open("/ws/base/", player.user)
    try:
        await desk.send_json_to({"action": "walkup", "protocol": "watch", "hall": open_hall.slug})
        assert (await _frame(desk, "walkup_queue"))["entries"] == []
        await desk.send_json_to(
            {"action": "walkup", "protocol": "add", "hall": open_hall.slug, "name": "Sam", "party_size": 3}
        )
        added = (await _frame(desk, "walkup_queue"))["entries"]
        assert [(e["name"], e["party_size"], e["username"]) for e in added] == [("Sam", 3, None)]
        # The desk party was offered table 1 at once; seating it "on the first free table" takes that one.
        await desk.send_json_to({"action": "walkup", "protocol": "seat", "entry_id": added[0]["id"]})
        assert (await _frame(desk, "walkup_queue"))["entries"] == []
        sam = await database_sync_to_async(QueueEntry.objects.select_related("reservation__table").get)(name="Sam")
        assert sam.status == "seated" and sam.reservation.table.number == 1

        await mine.send_json_to({"action": "walkup", "protocol": "join", "hall": open_hall.slug, "party_size": 2})
        await _frame(mine, "queue_status")
        entry = await database_sync_to_async(QueueEntry.objects.get)(player=player)
        await mine.send_json_to({"action": "walkup", "protocol": "seat", "entry_id": entry.pk, "table_id": 2})
        refused = await _frame(mine, "error")
        assert refused["error"] == "NOT_HALL_STAFF"
        await desk.send_json_to({"action": "walkup", "protocol": "seat", "entry_id": entry.pk, "table_id": 2})
        assert (await _frame(desk, "error"))["error"] == "TABLE_ALREADY_BOOKED"  # a game is on it
        await desk.send_json_to({"action": "walkup", "protocol": "seat", "entry_id": entry.pk, "table_id": "two"})
        assert (await _frame(desk, "error"))["error"] == "INVALID_FRAME"

        # A table is added to the floor: staff seat the player's party on it by hand.
        await database_sync_to_async(TableFactory)(hall=open_hall, number=3, kind="pool")
        await desk.send_json_to({"action": "walkup", "protocol": "seat", "entry_id": entry.pk, "table_id": 3})
        seated = await _frame(mine, "queue_status")
        while seated["entry"]["status"] != "seated":
            seated = await _frame(mine, "queue_status")
        await mine.send_json_to({"action": "walkup", "protocol": "extend", "entry_id": entry.pk, "minutes": 30})
        extended = (await _frame(mine, "queue_extended"))["extension"]
        assert (extended["added_minutes"], extended["reservation"]) == (30, seated["entry"]["reservation"])
        await mine.send_json_to({"action": "walkup", "protocol": "extend", "entry_id": entry.pk, "minutes": 10})
        assert (await _frame(mine, "error"))["error"] == "INVALID_DURATION"
    finally:
        await desk.disconnect()
        await mine.disconnect()
