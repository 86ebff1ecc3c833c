"""SQS records fed by an SNS subscription, with raw message delivery on or off."""

import json
from collections.abc import Callable, Iterable
from typing import Any


class BadRecord(ValueError):
    """The record cannot be understood; it is reported as a batch item failure."""


def parse_record(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(event type, payload) of one SQS record.

    Raw delivery off: the body is SNS's JSON envelope, the event in `Message`, the type in its
    `MessageAttributes`. Raw delivery on: the body is the event itself and SQS carries the attributes.
    """
    try:
        body = json.loads(record["body"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRecord("body is not JSON") from exc
    attributes: dict[str, Any] = {}
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        attributes = {name: value.get("Value") for name, value in (body.get("MessageAttributes") or {}).items()}
        try:
            body = json.loads(body["Message"])
        except (TypeError, ValueError) as exc:
            raise BadRecord("SNS message is not JSON") from exc
    else:
        attributes = {name: value.get("stringValue") for name, value in (record.get("messageAttributes") or {}).items()}
    if not isinstance(body, dict):
        raise BadRecord("event is not an object")
    event_type = attributes.get("eventType") or body.get("event_type")
    payload = body.get("payload", body)
    if not event_type or not isinstance(payload, dict):
        raise BadRecord("no eventType or payload")
    return str(event_type), payload


def process_batch(
    records: Iterable[dict[str, Any]], handle: Callable[[str, dict[str, Any]], None]
) -> dict[str, list[dict[str, str]]]:
    """Handle every record; failures are returned as `batchItemFailures` so only they are retried."""
    failures = []
    for record in records:
        try:
            event_type, payload = parse_record(record)
            handle(event_type, payload)
        except Exception:  # noqa: BLE001 - one bad record must not fail the batch
            failures.append({"itemIdentifier": record.get("messageId", "")})
    return {"batchItemFailures": failures}
