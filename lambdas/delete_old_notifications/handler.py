"""EventBridge schedule (daily): delete old notifications (see cleanup.delete_old_notifications)."""

import os
from typing import Any

from lambdas.strikem_shared.cleanup import delete_old_notifications
from lambdas.strikem_shared.db import run_in_transaction


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    deleted = run_in_transaction(
        delete_old_notifications,
        read_after_days=int(os.environ.get("NOTIFICATION_MAX_AGE_DAYS", "5")),
        unread_after_days=int(os.environ.get("UNREAD_NOTIFICATION_MAX_AGE_DAYS", "30")),
    )
    return {"deleted": deleted}
