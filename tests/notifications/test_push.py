"""Which notifications leave for the phones, and when: the outbox after commit, push kinds only, once per
device; withheld while muted, read, in quiet hours or while a socket is open (unless pushed always).
The port here is the recorder; tests/notifications/test_push_sns.py runs the same against moto's SNS."""

from datetime import UTC, datetime, time
from unittest import mock

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from apps.accounts.services import ws_ticket_issue
from apps.events.models import OutboxEvent
from apps.matchmaking import services as matchmaking
from apps.notifications import services
from apps.notifications.mobile_push import RECORDER
from apps.notifications.models import Device, Notification, PushDelivery, PushSettings
from apps.notifications.services import MOBILE_PUSH_EVENT, notification_send
from strikem.asgi import application
from tests.factories import PlayerFactory

APNS_TOKEN = "cd34" * 16


@pytest.fixture(autouse=True)
def _empty_recorder():
    RECORDER.sent.clear()
    RECORDER.deleted.clear()


def _with_device(**settings_fields):
    player = PlayerFactory()
    Device.objects.create(player=player, platform=Device.Platform.APNS, token=APNS_TOKEN)
    if settings_fields:
        PushSettings.objects.create(player=player, **settings_fields)
    return player


def _push_events() -> list[int]:
    return [event.payload["notification_id"] for event in OutboxEvent.objects.filter(event_type=MOBILE_PUSH_EVENT)]


@pytest.mark.django_db
def test_an_invitation_to_a_player_away_is_pushed_once_per_device():
    invitee, inviter = _with_device(), PlayerFactory()
    matchmaking.invitation_send(inviter_id=inviter.pk, invitee_id=invitee.pk)
    note = Notification.objects.get(recipient=invitee, type=Notification.Type.INVITED)
    assert _push_events() == [note.pk]
    assert services.push_deliver(notification_id=note.pk) == 1
    ((endpoint, message),) = RECORDER.sent
    assert message.body == note.body and message.data == {
        "notification_id": str(note.pk),
        "type": "INV",
        "extra": note.extra,
    }
    assert Device.objects.get().endpoint_arn == endpoint
    # The outbox delivers at least once: the same event again pushes nothing.
    assert services.push_deliver(notification_id=note.pk) == 0
    assert len(RECORDER.sent) == 1 and PushDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_action_never_reaches_the_outbox():
    invitee, inviter = _with_device(), PlayerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        matchmaking.invitation_send(inviter_id=inviter.pk, invitee_id=invitee.pk)
        raise RuntimeError("the action fails after the invitation")
    assert not OutboxEvent.objects.exists() and not Notification.objects.exists()


@pytest.mark.django_db
def test_only_push_kinds_of_players_with_a_device_go_to_the_outbox():
    with_device, without = _with_device(), PlayerFactory()
    notification_send(recipient=with_device, type=Notification.Type.RESERVED, body="booked")  # not a push kind
    notification_send(recipient=without, type=Notification.Type.INVITED, body="no phone")
    assert _push_events() == []


@pytest.mark.django_db
def test_several_notifications_at_once_go_to_the_outbox_for_the_recipients_with_a_device_only(
    django_capture_on_commit_callbacks,
):
    with_device, without = _with_device(), PlayerFactory()
    with (
        mock.patch.object(services, "push_to_user") as pushed,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first, second = services.notifications_send(
            [(with_device, "Table 3, against B.", without), (without, "Table 3, against A.", with_device)],
            type=Notification.Type.MATCH_CALLED,
            extra="42",
        )
        assert not pushed.called  # only after commit
    stored = Notification.objects.order_by("id")
    assert [(note.recipient_id, note.body, note.sent_by_id, note.extra) for note in stored] == [
        (with_device.pk, "Table 3, against B.", without.pk, "42"),
        (without.pk, "Table 3, against A.", with_device.pk, "42"),
    ]
    assert [note.pk for note in stored] == [first.pk, second.pk]
    assert _push_events() == [first.pk]
    assert [(call.args[0], call.args[1]["id"], call.args[1]["body"]) for call in pushed.call_args_list] == [
        (with_device.user_id, first.pk, "Table 3, against B."),
        (without.user_id, second.pk, "Table 3, against A."),
    ]


@pytest.mark.django_db
def test_muted_kinds_and_read_notifications_are_not_pushed():
    player = _with_device(muted=["MSG"])
    muted = notification_send(recipient=player, type=Notification.Type.MESSAGE, body="chat")
    read = notification_send(recipient=player, type=Notification.Type.INVITED, body="invite")
    Notification.objects.filter(pk=read.pk).update(read=True)
    assert services.push_deliver(notification_id=muted.pk) == 0
    assert services.push_deliver(notification_id=read.pk) == 0
    assert RECORDER.sent == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("utc", "pushed"),
    [
        (datetime(2026, 6, 1, 19, 30, tzinfo=UTC), False),  # 23:30 in Tbilisi (UTC+4): quiet
        (datetime(2026, 6, 1, 2, 59, tzinfo=UTC), False),  # 06:59 there: still quiet
        (datetime(2026, 6, 1, 3, 0, tzinfo=UTC), True),  # 07:00 there: quiet hours over
        (datetime(2026, 6, 1, 17, 0, tzinfo=UTC), True),  # 21:00 there
    ],
)
def test_quiet_hours_are_read_in_the_players_time_zone(utc, pushed):
    player = _with_device(time_zone="Asia/Tbilisi", quiet_hours_start=time(22), quiet_hours_end=time(7))
    note = notification_send(recipient=player, type=Notification.Type.GAME_SOON, body="soon")
    with time_machine.travel(utc, tick=False):
        assert services.push_deliver(notification_id=note.pk) == int(pushed)


@pytest.mark.django_db
def test_a_dead_endpoint_drops_the_device(monkeypatch):
    player = _with_device()
    note = notification_send(recipient=player, type=Notification.Type.INVITED, body="invite")

    def gone(**kwargs):
        raise services.EndpointGone(kwargs["endpoint_arn"])

    monkeypatch.setattr(RECORDER, "send", gone)
    assert services.push_deliver(notification_id=note.pk) == 0
    assert not Device.objects.exists() and not PushDelivery.objects.exists()
    assert len(RECORDER.deleted) == 1


async def _open(user) -> WebsocketCommunicator:
    ticket = await database_sync_to_async(ws_ticket_issue)(user=user)
    communicator = WebsocketCommunicator(application, f"/ws/base/?uuid={ticket}", headers=[(b"host", b"testserver")])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


@pytest.mark.django_db(transaction=True)
async def test_no_push_while_a_socket_is_open_unless_the_kind_is_pushed_always():
    player = await database_sync_to_async(_with_device)(always=["TRD"])
    socket = await _open(player.user)
    try:
        chat = await database_sync_to_async(notification_send)(
            recipient=player, type=Notification.Type.MESSAGE, body="chat"
        )
        table = await database_sync_to_async(notification_send)(
            recipient=player, type=Notification.Type.TABLE_READY, body="your table is ready"
        )
        assert await database_sync_to_async(services.push_deliver)(notification_id=chat.pk) == 0
        assert await database_sync_to_async(services.push_deliver)(notification_id=table.pk) == 1
    finally:
        await socket.disconnect()
    # The socket closed: the next one reaches the phone.
    later = await database_sync_to_async(notification_send)(recipient=player, type=Notification.Type.MESSAGE, body="hi")
    assert await database_sync_to_async(services.push_deliver)(notification_id=later.pk) == 1
    assert [message.body for _endpoint, message in RECORDER.sent] == ["your table is ready", "hi"]
