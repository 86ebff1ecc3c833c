"""SQS-triggered (filter eventType=InvitationCleanup): invitations between two agreed players go."""

from typing import Any

from lambdas.strikem_shared.cleanup import delete_invitations_between
from lambdas.strikem_shared.db import run_in_transaction
from lambdas.strikem_shared.records import BadRecord, process_batch


def _handle(event_type: str, payload: dict[str, Any]) -> None:
    if event_type != "InvitationCleanup":
        raise BadRecord(f"unexpected event {event_type}")
    run_in_transaction(delete_invitations_between, payload)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event.get("Records", []), _handle)
