"""SQS-triggered (filter eventType=InvitationDeniedDelete, delivered after the denial cooldown)."""

from typing import Any

from lambdas.strikem_shared.cleanup import delete_denied_invitation
from lambdas.strikem_shared.db import run_in_transaction
from lambdas.strikem_shared.records import BadRecord, process_batch


def _handle(event_type: str, payload: dict[str, Any]) -> None:
    if event_type != "InvitationDeniedDelete":
        raise BadRecord(f"unexpected event {event_type}")
    run_in_transaction(delete_denied_invitation, payload)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event.get("Records", []), _handle)
