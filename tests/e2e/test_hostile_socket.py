"""Hostile frames against a real Daphne: each gets its WebSocket answer, never a dropped connection."""

import asyncio
import json

import pytest
import requests
import websockets

from tests.factories import PASSWORD, PlayerFactory
from tests.processes import daphne_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def _socket_url(base: str, username: str) -> str:
    session = requests.Session()
    tokens = session.post(f"{base}/auth/jwt/create", json={"username": username, "password": PASSWORD}, timeout=10)
    session.headers["Authorization"] = f"JWT {tokens.json()['access']}"
    ticket = session.get(f"{base}/users/auth_for_ws_connection/", timeout=10).json()["uuid"]
    return f"{base.replace('http', 'ws')}/ws/base/?uuid={ticket}"


async def test_bad_frames_get_error_frames_and_invalid_utf8_closes_with_1007():
    from channels.db import database_sync_to_async

    player = await database_sync_to_async(PlayerFactory)()
    with daphne_server("daphne-hostile") as base:
        url = await asyncio.to_thread(_socket_url, base, player.user.username)
        async with websockets.connect(url) as socket:
            await socket.send("[" * 1000 + "]" * 1000)
            frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert frame["type"] == "error" and frame["error"] == "MALFORMED_FRAME"
            assert "nest" in frame["detail"]
            await socket.send(json.dumps({"action": "change_matchup"}))
            frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert frame["type"] == "error" and frame["error"] == "INVALID_FRAME"
            await socket.send(json.dumps({"action": "base", "protocol": "initial"}))  # still open

            await socket.send(b'{"action": "\xff\xfe"}', text=True)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
