"""Mobile pushes against moto's SNS server, which speaks the platform-application API: a platform
application per platform, an endpoint per device, the platform's payload, a disabled endpoint removed,
nothing while a socket is open, in quiet hours or for a muted kind; and the whole way from a REST
invitation through the outbox and a real Celery worker to the endpoint, after commit only, once. A device
forgotten (logout, account deletion) has its endpoint deleted at SNS the same way, after commit."""

import json
import secrets
import time
import urllib.request
from datetime import UTC, datetime
from datetime import time as wall_time
from types import SimpleNamespace

import boto3
import pytest
import time_machine
from botocore.exceptions import ClientError
from celery import current_app
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from rest_framework.test import APIClient

from apps.accounts.services import ws_ticket_issue
from apps.core import aws
from apps.events.models import OutboxEvent
from apps.events.services import outbox_publish_pending
from apps.matchmaking import services as matchmaking
from apps.notifications import services
from apps.notifications.models import Device, Notification, PushDelivery, PushSettings
from apps.notifications.services import notification_send
from apps.notifications.tasks import push_endpoints_delete_task
from strikem.asgi import application
from tests.conftest import bearer
from tests.factories import PASSWORD, PlayerFactory
from tests.lambdas import test_aws_flow
from tests.processes import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)

REGION = "eu-central-1"
# moto's server, started once per module: the fixture the AWS flow tests use.
moto_url = test_aws_flow.moto_url
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


@pytest.fixture
def tokens() -> SimpleNamespace:
    """Fresh tokens per test: moto's server lives for the module and matches endpoints by token alone."""
    return SimpleNamespace(
        fcm=f"{secrets.token_urlsafe(8)}:APA91b{secrets.token_urlsafe(100)}", apns=secrets.token_hex(32)
    )


@pytest.fixture
def sns(moto_url, monkeypatch, settings):
    """Two platform applications on moto, named in SNS_PLATFORM_APPLICATION_ARNS as in production."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("sns", endpoint_url=moto_url, region_name=REGION)
    stamp = time.time_ns()
    fcm = client.create_platform_application(
        Name=f"strikem-fcm-{stamp}", Platform="GCM", Attributes={"PlatformCredential": "server-key"}
    )["PlatformApplicationArn"]
    apns = client.create_platform_application(
        Name=f"strikem-apns-{stamp}",
        Platform="APNS",
        Attributes={"PlatformCredential": "private-key", "PlatformPrincipal": "certificate"},
    )["PlatformApplicationArn"]
    settings.AWS_ENDPOINT_URL = moto_url
    settings.AWS_REGION = REGION
    settings.SNS_PLATFORM_APPLICATION_ARNS = {"FCM": fcm, "APNS": apns}
    aws.clear_clients()
    yield SimpleNamespace(client=client, fcm=fcm, apns=apns, url=moto_url)
    aws.clear_clients()


def _endpoints(sns, application: str) -> list[dict]:
    return sns.client.list_endpoints_by_platform_application(PlatformApplicationArn=application)["Endpoints"]


def _messages(sns, endpoint_arn: str) -> list[dict]:
    """What moto's endpoint received (its model data), oldest first, each decoded."""
    with urllib.request.urlopen(f"{sns.url}/moto-api/data.json", timeout=10) as answer:
        data = json.load(answer)
    for endpoint in data["sns"]["PlatformEndpoint"]:
        if endpoint["arn"] == endpoint_arn:
            return [json.loads(message) for message in endpoint["messages"].values()]
    return []


def _player_with(*devices: tuple[str, str]):
    player = PlayerFactory()
    for platform, token in devices:
        Device.objects.create(player=player, platform=platform, token=token)
    return player


def test_an_endpoint_per_device_and_each_platforms_payload(sns, tokens):
    invitee = _player_with(("FCM", tokens.fcm), ("APNS", tokens.apns))
    matchmaking.invitation_send(inviter_id=PlayerFactory().pk, invitee_id=invitee.pk)
    note = Notification.objects.get(recipient=invitee)
    assert services.push_deliver(notification_id=note.pk) == 2

    (android,) = _endpoints(sns, sns.fcm)
    (iphone,) = _endpoints(sns, sns.apns)
    assert android["Attributes"]["Token"] == tokens.fcm and iphone["Attributes"]["Token"] == tokens.apns
    stored = dict(Device.objects.values_list("platform", "endpoint_arn"))
    assert stored == {"FCM": android["EndpointArn"], "APNS": iphone["EndpointArn"]}

    (fcm_message,) = _messages(sns, android["EndpointArn"])
    assert fcm_message["default"] == note.body
    fcm = json.loads(fcm_message["GCM"])["fcmV1Message"]["message"]
    assert fcm["notification"] == {"title": "Strikem", "body": note.body}
    assert fcm["data"] == {"notification_id": str(note.pk), "type": "INV", "extra": note.extra}
    (apns_message,) = _messages(sns, iphone["EndpointArn"])
    apns = json.loads(apns_message["APNS"])
    assert apns["aps"]["alert"]["body"] == note.body and apns["type"] == "INV"

    # The next push reuses the endpoints.
    matchmaking.invitation_send(inviter_id=PlayerFactory().pk, invitee_id=invitee.pk)
    second = Notification.objects.filter(recipient=invitee).latest("id")
    assert services.push_deliver(notification_id=second.pk) == 2
    assert len(_endpoints(sns, sns.fcm)) == len(_endpoints(sns, sns.apns)) == 1
    assert len(_messages(sns, android["EndpointArn"])) == 2


def test_a_disabled_endpoint_is_removed_with_its_device(sns, tokens):
    player = _player_with(("FCM", tokens.fcm), ("APNS", tokens.apns))
    first = notification_send(recipient=player, type=Notification.Type.INVITED, body="first")
    assert services.push_deliver(notification_id=first.pk) == 2
    android = Device.objects.get(platform="FCM")
    # The push service found the token dead and disabled the endpoint, as FCM does for an uninstalled app.
    sns.client.set_endpoint_attributes(EndpointArn=android.endpoint_arn, Attributes={"Enabled": "false"})
    second = notification_send(recipient=player, type=Notification.Type.INVITED, body="second")
    assert services.push_deliver(notification_id=second.pk) == 1
    assert list(Device.objects.values_list("platform", flat=True)) == ["APNS"]
    with pytest.raises(ClientError):
        sns.client.get_endpoint_attributes(EndpointArn=android.endpoint_arn)
    # Registering the same token again starts a fresh endpoint that takes pushes.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(player.user))
    assert client.post("/api/devices/", {"platform": "FCM", "token": tokens.fcm}).status_code == 201
    third = notification_send(recipient=player, type=Notification.Type.INVITED, body="third")
    assert services.push_deliver(notification_id=third.pk) == 2


def test_muted_kinds_and_quiet_hours_send_nothing(sns, tokens):
    player = _player_with(("APNS", tokens.apns))
    PushSettings.objects.create(
        player=player,
        time_zone="America/New_York",
        quiet_hours_start=wall_time(22),
        quiet_hours_end=wall_time(8),
        muted=["MSG"],
    )
    chat = notification_send(recipient=player, type=Notification.Type.MESSAGE, body="chat")
    soon = notification_send(recipient=player, type=Notification.Type.GAME_SOON, body="soon")
    with time_machine.travel(datetime(2026, 1, 15, 4, 0, tzinfo=UTC), tick=False):  # 23:00 in New York
        assert services.push_deliver(notification_id=chat.pk) == 0
        assert services.push_deliver(notification_id=soon.pk) == 0
    assert _endpoints(sns, sns.apns) == []  # nothing was sent, not even an endpoint made
    with time_machine.travel(datetime(2026, 1, 15, 14, 0, tzinfo=UTC), tick=False):  # 09:00 there
        assert services.push_deliver(notification_id=chat.pk) == 0  # muted all day
        assert services.push_deliver(notification_id=soon.pk) == 1
    (endpoint,) = _endpoints(sns, sns.apns)
    assert [json.loads(m["APNS"])["aps"]["alert"]["body"] for m in _messages(sns, endpoint["EndpointArn"])] == ["soon"]


async def test_no_push_while_a_socket_is_open(sns, tokens):
    player = await database_sync_to_async(_player_with)(("FCM", tokens.fcm))
    ticket = await database_sync_to_async(ws_ticket_issue)(user=player.user)
    communicator = WebsocketCommunicator(application, f"/ws/base/?uuid={ticket}", headers=[(b"host", b"testserver")])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    try:
        note = await database_sync_to_async(notification_send)(
            recipient=player, type=Notification.Type.INVITED, body="while online"
        )
        assert await database_sync_to_async(services.push_deliver)(notification_id=note.pk) == 0
        assert await database_sync_to_async(_endpoints)(sns, sns.fcm) == []
    finally:
        await communicator.disconnect()


def _until(check, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return None


@pytest.mark.e2e
def test_from_a_rest_invitation_through_the_outbox_and_a_worker_to_the_phone_once(sns, tokens):
    invitee = _player_with(("FCM", tokens.fcm))
    witness = _player_with(("APNS", tokens.apns))
    inviter, rolled_back_inviter = PlayerFactory(), PlayerFactory()
    worker_env = {
        **CREDENTIALS,
        "SNS_PLATFORM_APPLICATION_ARNS": f"FCM={sns.fcm},APNS={sns.apns}",
        "AWS_ENDPOINT_URL": sns.url,
        "AWS_REGION": REGION,
    }
    with celery_worker(name="celery-worker-push", env=worker_env):
        # An action that rolls back leaves nothing in the outbox: this one must never buzz the phone.
        with pytest.raises(RuntimeError), transaction.atomic():
            matchmaking.invitation_send(inviter_id=rolled_back_inviter.pk, invitee_id=invitee.pk)
            raise RuntimeError("rolled back")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer(inviter.user))
        assert client.post("/api/invitations/", {"player": invitee.id}).status_code == 201
        note = Notification.objects.get(recipient=invitee)
        delivered = _until(lambda: PushDelivery.objects.filter(notification=note).exclude(message_id="").first())
        assert delivered is not None, "the worker never pushed the invitation"

        # The same event again (the outbox delivers at least once), then a push to another player that the
        # single worker takes after it: once that one is through, the repeat has been handled too.
        assert outbox_publish_pending() == {"sent": 0, "failed": 0}  # nothing left pending
        current_app.send_task("apps.notifications.tasks.push_deliver_task", args=[{"notification_id": note.pk}])
        barrier = notification_send(recipient=witness, type=Notification.Type.INVITED, body="barrier")
        assert _until(lambda: PushDelivery.objects.filter(notification=barrier).exclude(message_id="").exists())

    endpoint = Device.objects.get(player=invitee).endpoint_arn
    messages = _messages(sns, endpoint)
    assert [message["default"] for message in messages] == [note.body]


# --- Forgetting devices: their endpoints leave SNS after commit -------------------------------------------


def _with_endpoints(*devices: tuple[str, str]):
    """A player whose devices have their SNS endpoints (made by a first push)."""
    player = _player_with(*devices)
    note = notification_send(recipient=player, type=Notification.Type.INVITED, body="hello")
    assert services.push_deliver(notification_id=note.pk) == len(devices)
    return player, list(Device.objects.filter(player=player).values_list("endpoint_arn", flat=True))


def _endpoint_exists(sns, endpoint_arn: str) -> bool:
    try:
        sns.client.get_endpoint_attributes(EndpointArn=endpoint_arn)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NotFound"
        return False
    return True


def test_deleting_an_account_deletes_its_endpoints_after_commit_only(sns, tokens):
    player, arns = _with_endpoints(("FCM", tokens.fcm), ("APNS", tokens.apns))
    _witness, (kept,) = _with_endpoints(("APNS", secrets.token_hex(32)))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(player.user))

    refused = client.post("/users/delete-user/", {"password": "not-the-password"})
    assert (refused.status_code, refused.json()["error"]) == (400, "WRONG_PASSWORD")
    assert not OutboxEvent.objects.filter(event_type=services.ENDPOINTS_DELETE_EVENT).exists()
    assert Device.objects.filter(player=player).count() == 2

    assert client.post("/users/delete-user/", {"password": PASSWORD}).status_code == 204
    assert not Device.objects.filter(endpoint_arn__in=arns).exists()
    (event,) = OutboxEvent.objects.filter(event_type=services.ENDPOINTS_DELETE_EVENT)
    assert sorted(event.payload["endpoint_arns"]) == sorted(arns)
    assert all(_endpoint_exists(sns, arn) for arn in arns)  # nothing reaches SNS inside the transaction

    push_endpoints_delete_task(event.payload)  # what the worker runs for the event
    assert not any(_endpoint_exists(sns, arn) for arn in arns)
    assert _endpoint_exists(sns, kept)
    push_endpoints_delete_task(event.payload)  # a redelivered event is harmless


@pytest.mark.e2e
def test_logout_and_account_deletion_take_the_endpoints_off_sns_through_the_outbox_and_a_worker(sns, tokens):
    player, _arns = _with_endpoints(("FCM", tokens.fcm), ("APNS", tokens.apns))
    _witness, (kept,) = _with_endpoints(("APNS", secrets.token_hex(32)))
    android, iphone = (
        Device.objects.get(player=player, platform="FCM"),
        Device.objects.get(player=player, platform="APNS"),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(player.user))
    worker_env = {
        **CREDENTIALS,
        "SNS_PLATFORM_APPLICATION_ARNS": f"FCM={sns.fcm},APNS={sns.apns}",
        "AWS_ENDPOINT_URL": sns.url,
        "AWS_REGION": REGION,
    }
    with celery_worker(name="celery-worker-endpoints", env=worker_env):
        assert client.delete(f"/api/devices/{android.pk}/").status_code == 204  # the app logs out on the phone
        assert _until(lambda: not _endpoint_exists(sns, android.endpoint_arn)), "the logout left its endpoint"
        assert _endpoint_exists(sns, iphone.endpoint_arn)
        assert client.post("/users/delete-user/", {"password": PASSWORD}).status_code == 204
        assert _until(lambda: not _endpoint_exists(sns, iphone.endpoint_arn)), "the deletion left an endpoint"
    assert _endpoint_exists(sns, kept)
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()
