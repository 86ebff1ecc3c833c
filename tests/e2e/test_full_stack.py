"""The whole stack through nginx, as two instances: two Gunicorn and two Daphne behind one nginx upstream,
two Celery workers and one beat, on MariaDB and Redis. Players register, log in, find a hall, book a
table a few seconds ahead, get the start and finish pushes, report the result; ratings move."""

import asyncio
import json
from datetime import time as clock
from datetime import timedelta

import pytest
import requests
import websockets
from channels.db import database_sync_to_async
from django.utils import timezone

from apps.halls.models import PoolHouse, PoolTable
from apps.reservations.models import GameSession
from tests.processes import celery_beat, celery_worker, daphne_server, gunicorn_server, nginx_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]
PASSWORD = "a-long-and-unusual-pass-42"


class Client:
    """A player as the web client is: REST with a JWT, one socket."""

    def __init__(self, base: str, ws_base: str | None = None) -> None:
        self.base = base
        self.ws_base = (ws_base or base).replace("http://", "ws://")
        self.http = requests.Session()
        self.frames: list[dict] = []

    async def call(self, method: str, path: str, expect: int | None = None, **kwargs) -> dict | list:
        response = await asyncio.to_thread(getattr(self.http, method), f"{self.base}{path}", timeout=15, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (path, response.status_code, response.text)
        else:
            assert response.status_code < 400, (path, response.status_code, response.text)
        return response.json() if response.content else {}

    async def sign_up_and_in(self, username: str) -> None:
        await self.call(
            "post",
            "/auth/users/",
            expect=201,
            json={
                "username": username,
                "password": PASSWORD,
                "email": f"{username}@example.com",
                "first_name": username.title(),
                "last_name": "E2e",
            },
        )
        tokens = await self.call("post", "/auth/jwt/create", json={"username": username, "password": PASSWORD})
        self.http.headers["Authorization"] = f"JWT {tokens['access']}"
        self.me = await self.call("get", "/users/current-user")

    async def open_socket(self) -> None:
        ticket = (await self.call("get", "/users/auth_for_ws_connection/"))["uuid"]
        self.socket = await websockets.connect(f"{self.ws_base}/ws/base/?uuid={ticket}")

    async def expect(self, predicate, timeout: float = 20) -> dict:
        for frame in self.frames:
            if predicate(frame):
                self.frames.remove(frame)
                return frame
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.socket.recv())
                if predicate(frame):
                    return frame
                self.frames.append(frame)


def _hall() -> tuple[PoolHouse, PoolTable]:
    hall = PoolHouse.objects.create(
        title="Nginx Hall",
        slug="nginx-hall",
        address="1 Loopback Rd",
        latitude=41.7151,
        longitude=44.8271,
        open_time=clock(0),
        close_time=clock(0),
        time_zone="UTC",
        min_booking_minutes=1,
        booking_step_minutes=1,
        billing_increment_minutes=1,
        cleaning_buffer_minutes=0,
    )
    return hall, PoolTable.objects.create(hall=hall, number=1)


async def test_two_instances_behind_nginx_play_a_whole_game():
    hall, _table = await database_sync_to_async(_hall)()
    fast_beat = {"SESSIONS_SWEEP_SECONDS": "5"}
    # Activation by email is switched off by configuration here (its own tests cover it).
    no_activation = {"ACCOUNT_ACTIVATION_REQUIRED": "false"}
    with (
        gunicorn_server("gunicorn-a", env=no_activation) as web_a,
        gunicorn_server("gunicorn-b", env=no_activation) as web_b,
        daphne_server("daphne-a") as asgi_a,
        daphne_server("daphne-b") as asgi_b,
        celery_worker(name="worker-a"),
        celery_worker(name="worker-b"),
        celery_beat(env=fast_beat),
        nginx_server([web_a, web_b], [asgi_a, asgi_b]) as site,
    ):
        alice, bob = Client(site), Client(site)
        await alice.sign_up_and_in("alice_e2e")
        await bob.sign_up_and_in("bob_e2e")

        # A push caused through instance A reaches a socket held by instance B.
        bob_on_b = Client(web_a, ws_base=asgi_b)
        bob_on_b.http.headers.update(bob.http.headers)
        await bob_on_b.open_socket()
        alice_on_a = Client(web_a)
        alice_on_a.http.headers.update(alice.http.headers)
        await alice_on_a.call("post", "/api/invitations/", expect=201, json={"player": bob.me["id"]})
        invited = await bob_on_b.expect(lambda f: f.get("protocol") == "invited")
        assert invited["inviteSenderUsername"] == "alice_e2e"
        await bob_on_b.socket.close()

        # From here on only nginx is used.
        await alice.open_socket()
        await bob.open_socket()
        halls = await alice.call("get", "/api/poolhouses-filter/", params={"lat": 41.72, "lng": 44.83})
        assert [h["slug"] for h in halls] == ["nginx-hall"]
        tables = await alice.call("get", f"/api/poolhouses/{hall.id}/tables/")
        start = timezone.now() + timedelta(seconds=4)
        booking = await alice.call(
            "post",
            f"/api/poolhouses/{hall.id}/tables/{tables[0]['id']}/reserve/",
            expect=201,
            json={"start_time": start.isoformat(), "duration": 1, "other_player": bob.me},
        )
        for player in (alice, bob):
            started = await player.expect(lambda f: f.get("protocol") == "notification" and f.get("type") == "GSS")
            session_id = int(started["extra"])
        for player in (alice, bob):
            finished = await player.expect(lambda f: f.get("protocol") == "finish session", timeout=90)
            assert finished["game_session_id"] == session_id

        report = {
            "game_session": session_id,
            "winner_player": alice.me["id"],
            "loser_player": bob.me["id"],
            "result_winner": 3,
            "result_loser": 1,
        }
        first = await alice.call("post", f"/api/players/{alice.me['id']}/history/", expect=201, json=report)
        assert first["status"] == "pending"
        final = await bob.call("post", f"/api/players/{bob.me['id']}/history/", expect=201, json=report)
        assert final["status"] == "final" and final["points_given"] > 0
        alice_now = await alice.call("get", "/users/current-user")
        bob_now = await bob.call("get", "/users/current-user")
        assert alice_now["total_points"] > 1500 > bob_now["total_points"]
        assert alice_now["games_won"] == 1 and bob_now["games_played"] == 1
        for player in (alice, bob):
            await player.socket.close()

    sessions = await database_sync_to_async(lambda: GameSession.objects.filter(reservation_id=booking["id"]).count())()
    assert sessions == 1
