"""Faults against real processes: a worker killed mid-work, Redis restarted during play, MariaDB restarted.

Redis and MariaDB here are private servers each test starts on its own port (tests/processes.py), so
stopping them leaves the machine's shared services, and the rest of the suite, alone.
(SNS unreachable is proven in tests/lambdas/test_moto_flow.py: the outbox keeps and later delivers.)
"""

import asyncio
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import websockets
from django.utils import timezone

from apps.matchmaking.models import Matchup, Message
from apps.notifications.models import Notification
from apps.reservations.models import GameSession
from apps.reservations.tasks import schedule_if_due
from tests.conftest import bearer
from tests.factories import PASSWORD, HallFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly
from tests.processes import (
    celery_beat,
    celery_worker,
    daphne_server,
    gunicorn_server,
    log_path,
    private_mariadb,
    private_redis,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def _until(check, seconds: float, step: float = 0.25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return check()


def test_a_worker_killed_mid_work_loses_no_session_and_runs_none_twice() -> None:
    hall = HallFactory(open_time="00:00", close_time="00:00", time_zone="UTC")
    first, second = PlayerFactory(), PlayerFactory()
    tables = [TableFactory(hall=hall, number=n + 1) for n in range(4)]
    # Tasks a dead worker held come back after 5 s here (an hour in production), so the redelivered copies
    # run during this test, after the sweep already did their work: they must change nothing.
    fast = {"CELERY_VISIBILITY_TIMEOUT": "5", "CELERY_UNACKED_RESTORE_SECONDS": "1", "SESSIONS_SWEEP_SECONDS": "2"}
    with celery_worker(name="worker-doomed", env=fast) as doomed:
        # Booked once the worker is up (its start-up takes seconds on a busy machine), three seconds apart: it
        # takes every task at once and holds the later ones for their time, and dies after the first starts.
        start = timezone.now() + timedelta(seconds=2)
        reservations = [
            book_directly(table, first, second, start=start + timedelta(seconds=3 * n), seconds=8)
            for n, table in enumerate(tables)
        ]
        for reservation in reservations:
            schedule_if_due(reservation)  # what a booking does after commit: exact-time tasks in the broker
        ids = [reservation.pk for reservation in reservations]
        assert _until(lambda: GameSession.objects.filter(reservation_id__in=ids).exists(), 20), "nothing started"
        doomed.kill()  # SIGKILL: no goodbye, its reserved tasks stay unacknowledged in Redis
        doomed.wait()
    started_before_restart = GameSession.objects.filter(reservation_id__in=ids).count()
    assert started_before_restart < len(ids), "the worker did everything before it died; nothing was tested"
    with celery_worker(name="worker-replacement", env=fast), celery_beat(name="beat-faults", env=fast):
        done = _until(
            lambda: GameSession.objects.filter(reservation_id__in=ids, ended_at__isnull=False).count() == len(ids), 45
        )
        log = log_path("worker-replacement")
        redelivered = _until(lambda: re.search(r"session_start_task\[[-0-9a-f]+\] received", log.read_text()), 30)
        time.sleep(1)
    assert done, "not every session started and finished after the worker died"
    assert redelivered, "the dead worker's tasks were never handed out again"
    sessions = list(GameSession.objects.filter(reservation_id__in=ids))
    assert sorted(session.reservation_id for session in sessions) == sorted(ids)  # one each, none twice
    for session in sessions:
        started = Notification.objects.filter(type=Notification.Type.SESSION_STARTED, extra=str(session.pk))
        finished = Notification.objects.filter(type=Notification.Type.ENTER_RESULT, extra=str(session.pk))
        assert sorted(n.recipient_id for n in started) == sorted([first.pk, second.pk])
        assert sorted(n.recipient_id for n in finished) == sorted([first.pk, second.pk])


async def next_frame(socket, protocol: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if frame.get("protocol") == protocol:
            return frame


def _ticket(base: str, token: str) -> requests.Response:
    return requests.get(f"{base}/users/auth_for_ws_connection/", headers={"Authorization": token}, timeout=30)


def test_redis_restart_during_play_keeps_rest_answering_and_loses_nothing() -> None:
    me, friend, hall = PlayerFactory(), PlayerFactory(), HallFactory()
    matchup = Matchup.objects.create(player_inviting=me, player_accepting=friend)
    my_token, friend_token = bearer(me.user), bearer(friend.user)
    chat = f"/api/matchups/{matchup.pk}/chat/"

    async def play(base: str, ws_base: str, redis) -> dict:
        seen: dict = {}
        http = requests.Session()

        async def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
            headers = {"Authorization": token} if token else {}
            return await asyncio.to_thread(http.request, method, f"{base}{path}", headers=headers, timeout=30, **kwargs)

        ticket = (await asyncio.to_thread(_ticket, base, friend_token)).json()["uuid"]
        socket = await websockets.connect(f"{ws_base}/ws/base/?uuid={ticket}")
        assert (await call("post", chat, my_token, json={"message": "before"})).status_code == 201
        assert (await next_frame(socket, "handleMessage"))["message"] == "before"

        await asyncio.to_thread(redis.stop)
        started = time.monotonic()
        seen["tables"] = (await call("get", "/api/poolhouses/")).status_code
        seen["login"] = (
            await call("post", "/auth/jwt/create", json={"username": me.user.username, "password": PASSWORD})
        ).status_code
        during = await call("post", chat, my_token, json={"message": "during"})
        seen["message"] = during.status_code
        ticket_answer = await asyncio.to_thread(_ticket, base, friend_token)
        seen["ticket"] = (ticket_answer.status_code, ticket_answer.json().get("error"))
        seen["notifications"] = (await call("get", "/api/notifications/", friend_token)).status_code
        seen["slowest_call_seconds"] = time.monotonic() - started
        try:
            await asyncio.wait_for(socket.wait_closed(), 30)
            seen["socket_closed"] = socket.close_code
        except TimeoutError:
            seen["socket_closed"] = None

        await asyncio.to_thread(redis.start)
        ticket_answer = await asyncio.to_thread(
            lambda: _until(lambda: (r := _ticket(base, friend_token)).status_code == 200 and r, 20)
        )
        assert ticket_answer, "no socket ticket after Redis came back"
        again = await websockets.connect(f"{ws_base}/ws/base/?uuid={ticket_answer.json()['uuid']}")
        # Watching a board answers with a snapshot once the socket is fully set up (its groups joined).
        await again.send(json.dumps({"action": "poolhouse", "protocol": "initial", "poolhouseName": hall.slug}))
        assert await next_frame(again, "board_snapshot")
        await again.send(json.dumps({"action": "matchup", "message": "after", "matchup_id": str(matchup.pk)}))
        assert (await call("post", chat, my_token, json={"message": "after too"})).status_code == 201
        seen["pushed_after"] = (await next_frame(again, "handleMessage"))["message"]
        await again.close()
        history = (await call("get", chat, friend_token)).json()["results"]
        seen["history"] = sorted(message["body"] for message in history)
        return seen

    with private_redis() as redis:
        env = {"REDIS_URL": f"redis://127.0.0.1:{redis.port}/0"}
        with (
            gunicorn_server("gunicorn-redis-fault", env=env) as base,
            daphne_server("daphne-redis-fault", env=env) as asgi,
        ):
            seen = asyncio.run(play(base, asgi.replace("http://", "ws://"), redis))

    assert seen["tables"] == 200 and seen["login"] == 200 and seen["notifications"] == 200
    assert seen["message"] == 201, "a chat message must be stored even when it cannot be pushed"
    assert seen["ticket"] == (503, "LIVE_FEATURES_UNAVAILABLE")
    assert seen["slowest_call_seconds"] < 20
    assert seen["socket_closed"] is not None, "the socket was left open on a dead channel layer"
    assert seen["pushed_after"] == "after too"
    assert seen["history"] == ["after", "after too", "before", "during"]
    assert Message.objects.filter(matchup=matchup).count() == 4
    assert Notification.objects.filter(recipient=friend, type=Notification.Type.MESSAGE).exists()


def test_mariadb_restart_answers_503_then_recovers_by_itself(tmp_path: Path) -> None:
    with private_mariadb(tmp_path) as database:
        env = {"DATABASE_URL": f"mysql://root@127.0.0.1:{database.port}/strikem"}
        with gunicorn_server("gunicorn-db-fault", workers=2, env=env) as base:
            assert requests.get(f"{base}/api/poolhouses/", timeout=10).status_code == 200

            database.stop()
            outage = [requests.get(f"{base}/api/poolhouses/", timeout=30) for _ in range(4)]
            health = requests.get(f"{base}/health/", timeout=30)
            database.start()
            recovered = _until(lambda: requests.get(f"{base}/api/poolhouses/", timeout=10).status_code == 200, 30)
            after = [requests.get(f"{base}/api/poolhouses/", timeout=10).status_code for _ in range(10)]

    assert [response.status_code for response in outage] == [503] * 4
    for response in outage:
        assert response.json()["error"] == "SERVICE_UNAVAILABLE"
        assert response.headers["Retry-After"].isdigit()
    assert health.status_code == 503 and health.json()["checks"]["database"] == "failing"
    assert recovered, "the app did not recover after the database came back"
    assert after == [200] * 10
