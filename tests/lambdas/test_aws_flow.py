"""The AWS side end to end on moto's server (real AWS APIs on loopback): topic, filtered queues as in the
template, accept and deny through the Django services, the outbox publisher, the Lambda handlers."""

import json
import socket
import subprocess
import sys
import time
from datetime import timedelta

import boto3
import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.core.aws import clear_clients as clear_aws_clients
from apps.events import services as outbox
from apps.events.models import OutboxEvent
from apps.matchmaking import services as matchmaking
from apps.matchmaking.models import Invitation
from lambdas.delete_denied_invite.handler import handler as denied_handler
from lambdas.done_invitation_cleanup.handler import handler as cleanup_handler
from tests.conftest import png_bytes
from tests.factories import PlayerFactory
from tests.processes import ROOT, free_port, log_path

TEMPLATE = ROOT / "lambdas" / "template.yaml"
REGION = "eu-central-1"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads the template's YAML, keeping !Ref / !GetAtt values as plain data."""


for tag in ("!Ref", "!GetAtt", "!Sub"):
    _CloudFormationLoader.add_constructor(tag, lambda loader, node: loader.construct_scalar(node))


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    log = open(log_path("moto"), "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def aws(moto_url, monkeypatch, settings):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    settings.AWS_ENDPOINT_URL = moto_url
    settings.AWS_REGION = REGION
    clear_aws_clients()

    def client(name):
        return boto3.client(name, endpoint_url=moto_url, region_name=REGION)

    return client


def _fan_out(aws) -> tuple[str, dict[str, str]]:
    """Topic, queues and subscriptions with the template's filter policies (delay shortened to 1 s)."""
    resources = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)["Resources"]
    sns, sqs = aws("sns"), aws("sqs")
    stamp = str(time.time_ns())
    topic_arn = sns.create_topic(Name=f"strikem-events-{stamp}")["TopicArn"]
    queues = {}
    for subscription in ("DeniedInviteSubscription", "InvitationCleanupSubscription"):
        properties = resources[subscription]["Properties"]
        queue_name = properties["Endpoint"].split(".")[0]
        attributes = {"DelaySeconds": "1"} if "DelaySeconds" in resources[queue_name]["Properties"] else {}
        url = sqs.create_queue(QueueName=f"{queue_name}-{stamp}", Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "FilterPolicy": json.dumps(properties["FilterPolicy"]),
                "FilterPolicyScope": properties["FilterPolicyScope"],
                "RawMessageDelivery": str(properties["RawMessageDelivery"]).lower(),
            },
        )
        queues[properties["FilterPolicy"]["eventType"][0]] = url
    return topic_arn, queues


def _receive(sqs, url: str, expected: int, seconds: float = 10) -> list[dict]:
    """Everything the queue delivers, as Lambda's SQS event records."""
    records, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline and len(records) < expected + 1:
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for message in answer.get("Messages", []):
            records.append(
                {
                    "messageId": message["MessageId"],
                    "body": message["Body"],
                    "messageAttributes": {
                        name: {"stringValue": value.get("StringValue"), "dataType": value["DataType"]}
                        for name, value in message.get("MessageAttributes", {}).items()
                    },
                }
            )
        if len(records) >= expected and not answer.get("Messages"):
            break
    return records


def _event_types(records: list[dict]) -> list[str]:
    from lambdas.strikem_shared.records import parse_record

    return [parse_record(record)[0] for record in records]


@pytest.mark.django_db(transaction=True)
def test_accept_and_deny_reach_only_their_queue_and_the_lambdas_delete_the_rows(aws, settings, lambda_db):
    topic_arn, queues = _fan_out(aws)
    settings.SNS_TOPIC_ARN = topic_arn
    a, b, c = PlayerFactory(), PlayerFactory(), PlayerFactory()
    first = matchmaking.invitation_send(inviter_id=a.pk, invitee_id=b.pk)
    matchmaking.invitation_send(inviter_id=b.pk, invitee_id=a.pk)  # cancelled by the accept
    matchmaking.invitation_accept(invitee=b, inviter=a)
    invitation = matchmaking.invitation_send(inviter_id=c.pk, invitee_id=a.pk)
    denied = matchmaking.invitation_deny(invitee=a, inviter=c)
    assert denied.pk == invitation.pk

    assert outbox.outbox_publish_pending() == {"sent": 2, "failed": 0}
    assert outbox.outbox_backlog() == 0

    sqs = aws("sqs")
    cleanup_records = _receive(sqs, queues["InvitationCleanup"], expected=1)
    denied_records = _receive(sqs, queues["InvitationDeniedDelete"], expected=1)
    assert _event_types(cleanup_records) == ["InvitationCleanup"]
    assert _event_types(denied_records) == ["InvitationDeniedDelete"]

    assert Invitation.objects.filter(player_inviting__in=[a, b], player_invited__in=[a, b]).count() == 2
    assert cleanup_handler({"Records": cleanup_records}, None) == {"batchItemFailures": []}
    assert not Invitation.objects.filter(player_inviting__in=[a, b], player_invited__in=[a, b]).exists()
    assert first.pk not in set(Invitation.objects.values_list("pk", flat=True))

    assert denied_handler({"Records": denied_records}, None) == {"batchItemFailures": []}
    assert not Invitation.objects.filter(pk=denied.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_events_wait_in_the_outbox_while_sns_is_down_and_go_out_after(aws, settings, moto_url):
    topic_arn, queues = _fan_out(aws)
    settings.SNS_TOPIC_ARN = topic_arn
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    clear_aws_clients()
    a, b = PlayerFactory(), PlayerFactory()
    matchmaking.invitation_send(inviter_id=a.pk, invitee_id=b.pk)
    matchup = matchmaking.invitation_accept(invitee=b, inviter=a)  # the player's action succeeds
    assert matchup.pk

    assert outbox.outbox_publish_pending() == {"sent": 0, "failed": 1}
    pending = OutboxEvent.objects.get()
    assert pending.sent_at is None and pending.attempts == 1 and pending.last_error

    settings.AWS_ENDPOINT_URL = moto_url
    clear_aws_clients()
    assert outbox.outbox_publish_pending() == {"sent": 0, "failed": 0}  # backing off
    OutboxEvent.objects.update(available_at=timezone.now() - timedelta(seconds=1))
    assert outbox.outbox_publish_pending() == {"sent": 1, "failed": 0}
    assert _event_types(_receive(aws("sqs"), queues["InvitationCleanup"], expected=1)) == ["InvitationCleanup"]
    assert outbox.outbox_publish_pending() == {"sent": 0, "failed": 0}  # sent once


@pytest.mark.django_db
def test_avatar_upload_lands_in_the_s3_bucket(aws, settings, client_for, player, moto_url):
    bucket = f"strikem-media-{time.time_ns()}"
    aws("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto_url,
                "region_name": REGION,
                "querystring_auth": False,
                "file_overwrite": False,
            },
        },
    }
    upload = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = client_for(player.user).patch(f"/api/players/{player.id}/", {"profile_image": upload})
    assert response.status_code == 200, response.content
    url = response.json()["profile_image"]
    assert url.startswith(f"{moto_url}/{bucket}/players/") and url.endswith(".jpg")
    key = url.split(f"/{bucket}/", 1)[1]
    stored = aws("s3").head_object(Bucket=bucket, Key=key)
    assert stored["ContentLength"] > 0
