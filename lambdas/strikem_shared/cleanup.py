"""The cleanup work itself, one function per event, each idempotent (running twice does no harm)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.strikem_shared.tables import INVITATION_TABLE, NOTIFICATION_TABLE

DELETE_CHUNK = 5000


def delete_denied_invitation(cursor: Any, payload: dict[str, Any]) -> int:
    """Delete a denied invitation once its cooldown is over (the queue delays delivery by the cooldown).

    Only a row that is still `denied` goes; a missing row (already deleted) is fine.
    """
    invitation_id = int(payload["invitation_id"])
    cursor.execute(f"DELETE FROM {INVITATION_TABLE} WHERE id = %s AND status = %s", [invitation_id, "denied"])
    return int(cursor.rowcount or 0)


def delete_invitations_between(cursor: Any, payload: dict[str, Any]) -> int:
    """After two players agreed on a game: delete every invitation between them, in both directions."""
    first, second = (int(player_id) for player_id in payload["player_ids"])
    cursor.execute(
        f"DELETE FROM {INVITATION_TABLE} WHERE (player_inviting_id = %s AND player_invited_id = %s)"
        " OR (player_inviting_id = %s AND player_invited_id = %s)",
        [first, second, second, first],
    )
    return int(cursor.rowcount or 0)


def delete_old_notifications(
    cursor: Any, *, read_after_days: int, unread_after_days: int, now: datetime | None = None
) -> int:
    """Delete read notifications after `read_after_days`, unread ones only after `unread_after_days`.

    Read ones go first because they have done their job; an unread one may be the only trace of an
    invitation or result the player has not seen yet, so it is kept longer. Deleted in chunks so the
    table is never locked for long.
    """
    now = now or datetime.now(UTC)
    deleted = 0
    for read, days in ((True, read_after_days), (False, unread_after_days)):
        cutoff = (now - timedelta(days=days)).replace(tzinfo=None)
        while True:
            cursor.execute(
                f"SELECT id FROM {NOTIFICATION_TABLE} WHERE {_quoted('read')} = %s AND timestamp < %s LIMIT %s",
                [read, cutoff, DELETE_CHUNK],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            placeholders = ", ".join(["%s"] * len(ids))
            cursor.execute(f"DELETE FROM {NOTIFICATION_TABLE} WHERE id IN ({placeholders})", ids)
            deleted += len(ids)
    return deleted


def _quoted(column: str) -> str:
    # `read` is a reserved word in MySQL; backticks work in MySQL and SQLite alike.
    return f"`{column}`"


HANDLERS = {
    "InvitationDeniedDelete": delete_denied_invitation,
    "InvitationCleanup": delete_invitations_between,
}
