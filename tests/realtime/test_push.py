"""The realtime port's pushes on the Redis channel layer, seen from channels added to the users' groups."""

import asyncio
from unittest import mock

import pytest
from channels.layers import get_channel_layer

from apps.realtime import push


async def _listening(user_id: int) -> str:
    """A channel in the user's group, as each of their sockets has."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(push.user_group(user_id), channel)
    return channel


async def _received(channel: str, timeout: float = 5) -> dict:
    message = await asyncio.wait_for(get_channel_layer().receive(channel), timeout=timeout)
    assert message["type"] == "push.frame"
    return message["frame"]


async def test_push_to_users_gives_each_user_their_own_frame() -> None:
    first, second = await _listening(701), await _listening(702)
    await asyncio.to_thread(push.push_to_users, [(701, {"to": "first"}), (702, {"to": "second"})])
    assert await _received(first) == {"to": "first"}
    assert await _received(second) == {"to": "second"}


async def test_push_to_users_still_reaches_the_others_when_one_send_fails() -> None:
    first, second = await _listening(703), await _listening(704)
    layer = get_channel_layer()
    real_send = layer.group_send

    async def failing_for_the_first(group: str, message: dict) -> None:
        if group == push.user_group(703):
            raise ConnectionError("redis went away")
        await real_send(group, message)

    with mock.patch.object(layer, "group_send", failing_for_the_first):
        await asyncio.to_thread(push.push_to_users, [(703, {"to": "first"}), (704, {"to": "second"})])
    assert await _received(second) == {"to": "second"}
    with pytest.raises(TimeoutError):
        await _received(first, timeout=0.5)


async def test_several_frames_for_one_user_travel_as_one_message_in_order() -> None:
    channel = await _listening(705)
    await asyncio.to_thread(push.push_to_user, 705, {"n": 1}, {"n": 2})
    message = await asyncio.wait_for(get_channel_layer().receive(channel), timeout=5)
    assert message == {"type": "push.frames", "frames": [{"n": 1}, {"n": 2}]}
