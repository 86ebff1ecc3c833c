"""Without AWS the same outbox events run the same cleanup code through a real Celery worker."""

import time

import pytest

from apps.events import services as outbox
from apps.events.models import OutboxEvent
from apps.matchmaking import services as matchmaking
from apps.matchmaking.models import Invitation
from tests.factories import PlayerFactory
from tests.processes import celery_worker


@pytest.mark.django_db(transaction=True)
def test_without_sns_the_worker_cleans_up_and_honours_the_cooldown(settings):
    settings.SNS_TOPIC_ARN = ""
    settings.DENIAL_COOLDOWN_SECONDS = 2
    a, b, c = PlayerFactory(), PlayerFactory(), PlayerFactory()
    matchmaking.invitation_send(inviter_id=a.pk, invitee_id=b.pk)
    matchmaking.invitation_accept(invitee=b, inviter=a)
    matchmaking.invitation_send(inviter_id=c.pk, invitee_id=a.pk)
    denied = matchmaking.invitation_deny(invitee=a, inviter=c)
    # The commits queued the publisher; the worker picks it up as soon as it starts.
    with celery_worker(name="worker-events", env={"DENIAL_COOLDOWN_SECONDS": "2"}):
        deadline = time.monotonic() + 20
        between_gone_at = denied_gone_at = None
        while time.monotonic() < deadline and denied_gone_at is None:
            if between_gone_at is None and not Invitation.objects.filter(player_invited=b).exists():
                between_gone_at = time.time()
            if not Invitation.objects.filter(pk=denied.pk).exists():
                denied_gone_at = time.time()
            time.sleep(0.1)
    assert outbox.outbox_backlog() == 0
    assert between_gone_at is not None, "the accept cleanup never ran"
    assert denied_gone_at is not None, "the denied invitation was never deleted"
    # The denial stays for its cooldown after it was published (it hides the denier until then).
    sent_at = OutboxEvent.objects.get(event_type="InvitationDeniedDelete").sent_at
    assert denied_gone_at - sent_at.timestamp() >= 1.5
