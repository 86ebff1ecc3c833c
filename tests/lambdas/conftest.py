import json

import pytest

from lambdas.strikem_shared import db
from tests.processes import test_database_url


@pytest.fixture
def lambda_db(monkeypatch, transactional_db):
    """The Lambdas' own PyMySQL connection, pointed at the migrated test database."""
    monkeypatch.setenv("DATABASE_URL", test_database_url())
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    db._connection = None
    yield
    if db._connection is not None:
        db._connection.close()
        db._connection = None


def sns_wrapped(message_id: str, event_type: str, payload: dict) -> dict:
    """An SQS record as SNS delivers it with raw message delivery off."""
    envelope = {
        "Type": "Notification",
        "MessageId": message_id,
        "Message": json.dumps({"event_type": event_type, "payload": payload}),
        "MessageAttributes": {"eventType": {"Type": "String", "Value": event_type}},
    }
    return {"messageId": message_id, "body": json.dumps(envelope), "messageAttributes": {}}


def raw(message_id: str, event_type: str, payload: dict) -> dict:
    """An SQS record with raw message delivery on: the attributes ride on SQS."""
    return {
        "messageId": message_id,
        "body": json.dumps({"event_type": event_type, "payload": payload}),
        "messageAttributes": {"eventType": {"stringValue": event_type, "dataType": "String"}},
    }
