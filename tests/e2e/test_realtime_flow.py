"""A real Daphne, a real Celery worker, two players' sockets (the `websockets` client) and a REST client:
lobby, list, invite, accept, chat, and a booked game started by the worker lighting up a third socket."""

import asyncio
import json
from datetime import timedelta

import pytest
import requests
import websockets
from django.utils import timezone

from tests.factories import PASSWORD, PlayerFactory
from tests.processes import celery_worker, daphne_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


class Player:
    """One person using the product: a REST session and a socket, like the web client."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        self.http = requests.Session()

    async def login(self) -> None:
        tokens = await self.call("post", "/auth/jwt/create", json={"username": self.username, "password": PASSWORD})
        self.http.headers["Authorization"] = f"JWT {tokens['access']}"

    async def call(self, method: str, path: str, **kwargs) -> dict:
        response = await asyncio.to_thread(getattr(self.http, method), f"{self.base}{path}", timeout=10, **kwargs)
        assert response.status_code < 400, (path, response.status_code, response.text)
        return response.json() if response.content else {}

    async def open_socket(self) -> None:
        ticket = (await self.call("get", "/users/auth_for_ws_connection/"))["uuid"]
        self.socket = await websockets.connect(f"{self.base.replace('http', 'ws')}/ws/base/?uuid={ticket}")

    async def send(self, frame: dict) -> None:
        await self.socket.send(json.dumps(frame))

    async def expect(self, protocol: str, timeout: float = 15) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.socket.recv())
                if frame.get("protocol") == protocol or frame.get("type") == protocol:
                    return frame


async def test_lobby_invite_accept_chat_and_a_worker_started_game_on_the_board(hall):
    from channels.db import database_sync_to_async

    from tests.factories import TableFactory

    table = await database_sync_to_async(TableFactory)(hall=hall, number=7)
    users = [await database_sync_to_async(PlayerFactory)() for _ in range(3)]
    with daphne_server("daphne-e2e") as base, celery_worker(name="worker-e2e"):
        alice, bob, carol = (Player(base, player.user.username) for player in users)
        for person in (alice, bob, carol):
            await person.login()
            await person.open_socket()
        try:
            await alice.send({"action": "matchmake", "protocol": "initial"})
            await asyncio.sleep(0.2)
            await bob.send({"action": "matchmake", "protocol": "control_user", "username": alice.username})
            assert (await alice.expect("add"))["username"] == bob.username

            listed = await alice.call("get", "/api/filter-ratings/")
            assert [row["user"]["username"] for row in listed] == [bob.username]

            await alice.send({"action": "matchmake", "matchmaker_username": bob.username, "username": alice.username})
            assert (await bob.expect("invited"))["inviteSenderUsername"] == alice.username
            await bob.send(
                {
                    "action": "matchmake",
                    "invite_sender_username": alice.username,
                    "invite_response": "accept",
                    "username": bob.username,
                }
            )
            accepted = await alice.expect("handling_invite_response")
            assert accepted["invite_response"] == "ACCEPTED"
            assert (await bob.expect("handling_invite_response"))["sub_protocol"] == "accepter"

            await alice.send({"action": "matchup", "message": "Table 7?", "matchup_id": accepted["matchup_id"]})
            assert (await bob.expect("handleMessage"))["message"] == "Table 7?"

            await carol.send({"action": "poolhouse", "protocol": "initial", "poolhouseName": hall.slug})
            snapshot = await carol.expect("board_snapshot")
            assert snapshot["tables"][0]["free"] is True

            start = timezone.now() + timedelta(seconds=3)
            booking = await alice.call(
                "post",
                f"/api/poolhouses/{hall.id}/tables/{table.id}/reserve/",
                json={"start_time": start.isoformat(), "duration": 15, "other_player": users[1].id},
            )
            busy = await carol.expect("now_busy", timeout=20)
            assert busy["changed_table_id"] == table.id
            assert busy["player_reserving_username"] == alice.username
            assert busy["other_player_username"] == bob.username
            tables = await carol.call("get", f"/api/poolhouses/{hall.id}/tables/")
            assert tables[0]["current_session"]["id"] == booking["id"]
        finally:
            for person in (alice, bob, carol):
                await person.socket.close()
