"""The public socket (`/ws/public/`): no login, read-only, for screens such as the wait page by the bar.

It accepts anonymous connections (the origin check of every socket still applies) and only watches public
groups through its own small action table; each watch answers with a snapshot and then pushes changes.
Frames are size-checked, parsed and rate-limited exactly as on `/ws/base/` (the same consumer machinery).
"""

from typing import Any

from channels.db import database_sync_to_async

from apps.core.observability import OPEN_SOCKETS
from apps.realtime import walkup_socket
from apps.realtime.consumers import Action, BaseConsumer, _ScopeRequest
from apps.realtime.push import waitlist_group

# First match wins; docs/socket.md documents each row under "Public socket" (tests/core/test_docs.py).
PUBLIC_ACTIONS = (
    Action("watch", "waitlist", frozenset(), "_on_watch_waitlist"),
    Action("tournament", "watch", frozenset({"tournament_id"}), "_on_watch_tournament"),
    Action("unwatch", None, frozenset(), "_on_unwatch"),
)


class PublicConsumer(BaseConsumer):
    actions = PUBLIC_ACTIONS
    needs_identity = False  # no login: the public pages' socket

    async def connect(self) -> None:
        self.player = None
        self.watching: set[str] = set()
        self.scope_request = _ScopeRequest(self.scope)
        self._fill_budget()
        await self.accept()
        OPEN_SOCKETS.inc()
        self.counted = True

    async def disconnect(self, code: int) -> None:
        self._uncount()
        for group in self.watching:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _on_watch_waitlist(self, content: dict[str, Any]) -> None:
        """A hall's wait list (`hall`: its slug): a `waitlist` now and on every change. One watch at a time."""
        hall_id, frame = await database_sync_to_async(walkup_socket.waitlist)(slug=content.get("hall"))
        await self._unwatch()
        await self._watch(waitlist_group(hall_id))
        await self.send_json(frame)

    async def _on_watch_tournament(self, content: dict[str, Any]) -> None:
        """A tournament's bracket, as on /ws/base/, in place of what the socket watched before."""
        await self._unwatch()
        await super()._on_watch_tournament(content)

    async def _on_unwatch(self, content: dict[str, Any]) -> None:
        await self._unwatch()

    async def push_frame(self, event: dict[str, Any]) -> None:
        await self.send_json(event["frame"])
