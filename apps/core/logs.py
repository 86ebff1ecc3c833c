"""Log records: the request id on each, refusals on one line, JSON lines in production.

Logging is configured before Django loads the apps, so this module imports no model (the metrics, which
do, live in apps/core/observability.py).
"""

import contextvars
import json
import logging
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id_var.get()
        if current == "-":
            # Django logs 4xx/5xx responses after the middleware chain; the request still knows its id.
            current = getattr(getattr(record, "request", None), "request_id", "-")
        record.request_id = current
        return True


class RefusalsOnOneLine(logging.Filter):
    """A refusal the app meant (a 4xx: another hall's page, the admin's permission denied) is logged as
    one line; Django attaches the exception's traceback, which only a 5xx deserves."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
