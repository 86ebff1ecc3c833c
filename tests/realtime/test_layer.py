"""The channel layer's group send: what channels-redis's own delivers, in two Redis round trips."""

import time
from unittest import mock

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from redis.asyncio.connection import Connection

from apps.realtime.layers import TwoTripRedisChannelLayer


def _layer(cls: type[RedisChannelLayer], **config) -> RedisChannelLayer:
    return cls(hosts=[settings.REDIS_URL], prefix=f"test-layer-{cls.__name__}", **config)


async def test_the_settings_use_it() -> None:
    assert isinstance(get_channel_layer(), TwoTripRedisChannelLayer)


@pytest.mark.parametrize("cls", [RedisChannelLayer, TwoTripRedisChannelLayer])
async def test_every_member_gets_the_message_once_in_order(cls) -> None:
    """Plain channels and process channels (`name!client`, several of one process under one key) alike."""
    layer = _layer(cls)
    await layer.flush()
    plain = await layer.new_channel()
    process_channels = [f"{layer.client_prefix}!{n}" for n in range(3)]  # one Daphne's sockets
    for channel in [plain, *process_channels]:
        await layer.group_add("board", channel)
    for n in range(3):
        await layer.group_send("board", {"type": "push.frame", "n": n})
    for channel in [plain, *process_channels]:
        assert [(await layer.receive(channel))["n"] for _ in range(3)] == [0, 1, 2]
    await layer.flush()


async def test_two_round_trips_where_the_library_makes_four() -> None:
    """Counted where requests leave for Redis: a pipeline's commands go as one."""
    sent = []
    real_send = Connection.send_packed_command

    async def counting(self, command, check_health=True):
        sent.append(command)
        return await real_send(self, command, check_health)

    made = {}
    for cls in (RedisChannelLayer, TwoTripRedisChannelLayer):
        layer = _layer(cls)
        await layer.flush()
        for n in range(3):
            await layer.group_add("board", f"{layer.client_prefix}!{n}")
        await layer.group_send("board", {"type": "push.frame"})  # Redis learns the scripts
        with mock.patch.object(Connection, "send_packed_command", counting):
            await layer.group_send("board", {"type": "push.frame"})
        made[cls] = len(sent)
        sent.clear()
        await layer.flush()
    assert made == {RedisChannelLayer: 4, TwoTripRedisChannelLayer: 2}


async def test_expired_members_are_dropped_and_a_full_channel_is_skipped() -> None:
    layer = _layer(TwoTripRedisChannelLayer, group_expiry=60, capacity=2)
    await layer.flush()
    fresh, stale = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("board", fresh)
    await layer.group_add("board", stale)
    connection = layer.connection(0)
    await connection.zadd(layer._group_key("board"), {stale: time.time() - 120})  # joined two minutes ago
    for n in range(3):  # the third finds the fresh channel at its capacity of two
        await layer.group_send("board", {"type": "push.frame", "n": n})
    assert await connection.zrange(layer._group_key("board"), 0, -1) == [fresh.encode()]
    assert [(await layer.receive(fresh))["n"] for _ in range(2)] == [0, 1]
    assert await connection.zcard(layer.prefix + fresh) == 0
    assert await connection.exists(layer.prefix + stale) == 0
    await layer.flush()


async def test_a_script_redis_forgot_is_sent_again() -> None:
    layer = _layer(TwoTripRedisChannelLayer)
    await layer.flush()
    channel = await layer.new_channel()
    await layer.group_add("board", channel)
    await layer.group_send("board", {"type": "push.frame", "n": 1})
    await layer.connection(0).script_flush()  # as after a restart
    await layer.group_send("board", {"type": "push.frame", "n": 2})
    assert [(await layer.receive(channel))["n"] for _ in range(2)] == [1, 2]
    await layer.flush()
