"""The channel layer: channels-redis's, with a group send in two Redis round trips instead of four.

A push (an invitation's frame, a table freeing on the board) is one `group_send`, and channels-redis makes
four trips for it, one after the other: drop the group's expired members, read the members, drop each
member channel's expired messages, then add the message to each channel. Trips are what a push costs here
(bench/push_latency.py: a round trip is 0.3 ms at the median and several at the tail, with the app's
processes sharing two cores), so the first two and the last two are each one script. Keys, messages,
expiries and capacities are channels-redis's own (its serializer and its mapping of channels to keys),
so Daphne's receiving side is unchanged. With several Redis hosts (a sharded layer) the library's own
send runs.
"""

import logging
import time
from typing import Any

from channels_redis.core import RedisChannelLayer
from redis.utils import str_if_bytes

logger = logging.getLogger(__name__)

# KEYS[1]: the group. ARGV[1]: members added before this time have expired. Returns the members left.
_MEMBERS = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""

# KEYS: the member channels' keys. ARGV: a message per key, then a capacity per key, then the time now,
# messages older than this have expired, and the keys' expiry in seconds. Returns how many were full.
_DELIVER = """
local count = #KEYS
local now, expired, expiry = ARGV[2 * count + 1], ARGV[2 * count + 2], ARGV[2 * count + 3]
local over_capacity = 0
for i = 1, count do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expired)
  if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[count + i]) then
    redis.call('ZADD', KEYS[i], now, ARGV[i])
    redis.call('EXPIRE', KEYS[i], expiry)
  else
    over_capacity = over_capacity + 1
  end
end
return over_capacity
"""


class TwoTripRedisChannelLayer(RedisChannelLayer):
    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.ring_size != 1:
            await super().group_send(group, message)
            return
        assert self.require_valid_group_name(group), "Group name not valid"
        connection = self.connection(0)
        now = int(time.time())
        # redis-py's scripts: by SHA1, the whole script only when Redis does not know it yet (a restart).
        members = connection.register_script(_MEMBERS)
        names = await members(keys=[self._group_key(group)], args=[now - self.group_expiry])
        if not names:
            return
        _by_connection, messages, capacities = self._map_channel_keys_to_connection(
            [str_if_bytes(name) for name in names], message
        )
        keys = list(messages)
        args = [*(messages[key] for key in keys), *(capacities[key] for key in keys)]
        args += [time.time(), now - int(self.expiry), int(self.expiry)]
        over_capacity = await connection.register_script(_DELIVER)(keys=keys, args=args)
        if over_capacity:
            logger.info("%s of %s channels over capacity in group %s", over_capacity, len(names), group)
