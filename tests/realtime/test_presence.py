"""Presence's heartbeat against the test Redis: what one beat refreshes."""

import time

import pytest
from django.conf import settings

from apps.core.redis import redis_client
from apps.realtime import presence
from apps.realtime.presence import presence_connect, presence_disconnect, presence_online_ids


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


async def test_a_list_may_take_an_online_dot_a_second_old_and_asks_again_after(no_local_sockets):
    online, offline = 9_100_001, 9_100_002
    await presence_connect(player_id=online, channel_name="specific.a!one")
    assert presence_online_ids([online, offline], seconds=60) == {online}
    await presence_disconnect(player_id=online, channel_name="specific.a!one")
    await presence_connect(player_id=offline, channel_name="specific.a!two")
    assert presence_online_ids([online, offline]) == {offline}  # without `seconds`: as it is now
    assert presence_online_ids([online, offline], seconds=60) == {online}  # what this process read stands
    for player_id in (online, offline):  # ... until it is older than asked for
        live, at = presence._seen[player_id]
        presence._seen[player_id] = (live, at - 61)
    assert presence_online_ids([online, offline], seconds=60) == {offline}
    await presence_disconnect(player_id=offline, channel_name="specific.a!two")
