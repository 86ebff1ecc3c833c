"""Presence's heartbeat against the test Redis: what one beat refreshes."""

import time

import pytest
from django.conf import settings

from apps.core.redis import redis_client
from apps.realtime import presence


@pytest.fixture
def no_local_sockets():
    saved = dict(presence._local_sockets)
    presence._local_sockets.clear()
    yield
    presence._local_sockets.clear()
    presence._local_sockets.update(saved)


async def test_a_heartbeat_keeps_every_socket_of_the_process_alive_in_batches(no_local_sockets, monkeypatch):
    monkeypatch.setattr(presence, "_REFRESH_BATCH", 2)  # five sockets: three commands
    sockets = {f"specific.test!{n}": 1000 + n % 3 for n in range(5)}  # three players, some with two sockets
    for channel, player_id in sockets.items():
        await presence.presence_connect(player_id=player_id, channel_name=channel)
    long_ago = time.time() - 10 * settings.PRESENCE_HEARTBEAT_SECONDS
    client = redis_client()
    for channel, player_id in sockets.items():
        client.zadd(f"presence:{player_id}", {channel: long_ago})
        client.persist(f"presence:{player_id}")
    assert presence.presence_online_ids([1000, 1001, 1002]) == set()

    await presence.presence_refresh()

    assert presence.presence_online_ids([1000, 1001, 1002, 1003]) == {1000, 1001, 1002}
    for channel, player_id in sockets.items():
        assert client.zscore(f"presence:{player_id}", channel) > long_ago
        assert 0 < client.ttl(f"presence:{player_id}") <= 6 * settings.PRESENCE_HEARTBEAT_SECONDS
