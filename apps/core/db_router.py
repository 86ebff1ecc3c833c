"""Reads to the replica when one is configured; everything else to the primary.

A read goes to the primary when it runs inside a transaction (a service's locked read) or after this
request (or task) has written anything, so a player always reads their own writes.
"""

import contextvars
from typing import Any

from django.conf import settings
from django.db import connections

_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("wrote_to_primary", default=False)
REPLICA = "replica"


def reset_pin() -> contextvars.Token[bool]:
    """Start of a request: nothing written yet."""
    return _wrote.set(False)


def reset_pin_to(token: contextvars.Token[bool]) -> None:
    _wrote.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if REPLICA not in settings.DATABASES:
            return None
        if _wrote.get() or connections["default"].in_atomic_block:
            return "default"
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        _wrote.set(True)
        return "default"

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
