"""Sending an invitation: its rules read in one query after both players are locked, the same few queries
whatever the players' history, the `invited` frame first after commit, one invitation when two app
servers send the same one at once, and what the REST call answers for accounts that cannot play."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import DomainError
from apps.events.models import OutboxEvent
from apps.matchmaking import services
from apps.matchmaking.models import Invitation, Matchup
from apps.matchmaking.serializers import SentInvitationSerializer, sent_invitation_data
from apps.notifications.models import Device, Notification
from apps.social.models import Block
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

APNS_TOKEN = "ab12" * 16


def _statements(queries) -> list[str]:
    """The statements that reach tables: no BEGIN, COMMIT or savepoints (tests run inside a transaction)."""
    return [q["sql"].split()[0] for q in queries if q["sql"].split()[0] in ("SELECT", "INSERT", "UPDATE", "DELETE")]


def _post_invitation(client_for, inviter, invitee):
    client = client_for(inviter.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/invitations/", {"player": invitee.pk}, format="json")
    assert response.status_code == 201, response.content
    return _statements(queries.captured_queries)


def _give_history(player) -> None:
    """Rows of every kind the rules read, about this player and others (none of them stops an invitation)."""
    others = [PlayerFactory() for _ in range(6)]
    for other in others[:3]:
        services.invitation_send(inviter_id=other.pk, invitee_id=player.pk)
        Matchup.objects.create(player_inviting=player, player_accepting=other)
    Invitation.objects.create(
        player_inviting=player,
        player_invited=others[3],
        status=Invitation.Status.DENIED,
        answered_at=timezone.now(),
        expires_at=timezone.now(),
    )
    Block.objects.create(blocker=player, blocked=others[4])
    Block.objects.create(blocker=others[5], blocked=player)


def test_the_invitation_post_asks_the_same_few_queries_whatever_the_players_history(client_for):
    quiet = _post_invitation(client_for, PlayerFactory(), PlayerFactory())
    inviter, invitee = PlayerFactory(), PlayerFactory()
    _give_history(inviter)
    _give_history(invitee)
    Invitation.objects.create(  # an old invitation of the same pair, lapsed
        player_inviting=inviter, player_invited=invitee, expires_at=timezone.now() - timedelta(minutes=1)
    )
    busy = _post_invitation(client_for, inviter, invitee)
    # My player (the token's user is not loaded), both players locked, every rule at once, the invitation
    # and the notification: no device lookup for an invitee without a phone, no user row.
    assert quiet == busy == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT"]


def test_an_invitee_with_a_phone_costs_one_outbox_row_and_no_extra_read(client_for):
    invitee = PlayerFactory()
    Device.objects.create(player=invitee, platform=Device.Platform.APNS, token=APNS_TOKEN)
    statements = _post_invitation(client_for, PlayerFactory(), invitee)
    assert statements == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT", "INSERT"]
    assert OutboxEvent.objects.filter(event_type="MobilePush").count() == 1


def test_an_invitee_without_a_phone_gets_no_mobile_push_event(client_for):
    _post_invitation(client_for, PlayerFactory(), PlayerFactory())
    assert Notification.objects.filter(type="INV").count() == 1
    assert not OutboxEvent.objects.filter(event_type="MobilePush").exists()


def test_the_invited_frame_is_pushed_before_the_notification_in_one_message(
    django_capture_on_commit_callbacks, monkeypatch
):
    pushes = []
    monkeypatch.setattr("apps.realtime.push._send", pushes.append)
    inviter, invitee = PlayerFactory(), PlayerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_send(inviter_id=inviter.pk, invitee_id=invitee.pk)
    assert len(pushes) == 1  # one trip through the channel layer
    sent = pushes[0]
    assert [(group, frame["protocol"]) for group, frame in sent] == [
        (f"user.{invitee.user_id}", "invited"),
        (f"user.{invitee.user_id}", "notification"),
    ]
    invited = sent[0][1]
    assert (invited["invitation_id"], invited["inviter_player_id"]) == (invitation.pk, inviter.pk)
    assert invited["inviteSenderUsername"] == inviter.user.username
    assert sent[1][1]["sent_by"] == {"id": inviter.pk, "username": inviter.user.username}


def test_each_rule_still_refuses_with_its_code(client_for):
    inviter = PlayerFactory()
    client = client_for(inviter.user)

    def refused(invitee) -> tuple[int, str]:
        answer = client.post("/api/invitations/", {"player": invitee.pk}, format="json")
        return answer.status_code, answer.json()["error"]

    blocked, pending, denier, partner = (PlayerFactory() for _ in range(4))
    Block.objects.create(blocker=inviter, blocked=blocked)
    services.invitation_send(inviter_id=inviter.pk, invitee_id=pending.pk)
    Invitation.objects.create(
        player_inviting=inviter,
        player_invited=denier,
        status=Invitation.Status.DENIED,
        answered_at=timezone.now(),
        expires_at=timezone.now(),
    )
    Matchup.objects.create(player_inviting=partner, player_accepting=inviter)
    assert refused(blocked) == (409, "PLAYER_BLOCKED_BY_YOU")
    assert refused(pending) == (409, "ALREADY_INVITED")
    assert refused(denier) == (409, "DENIED_RECENTLY")
    assert refused(partner) == (409, "ALREADY_MATCHED")
    assert Invitation.objects.filter(player_inviting=inviter).count() == 2  # the pending one and the denied one


def test_an_invitee_who_blocks_me_gets_nothing_and_i_learn_nothing(client_for, django_capture_on_commit_callbacks):
    inviter, blocker = PlayerFactory(), PlayerFactory()
    Block.objects.create(blocker=blocker, blocked=inviter)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = client_for(inviter.user).post("/api/invitations/", {"player": blocker.pk}, format="json")
    assert answer.status_code == 201
    assert Invitation.objects.filter(player_inviting=inviter, player_invited=blocker).exists()
    assert not Notification.objects.exists() and callbacks == []


def test_an_invitee_gone_or_deactivated_is_not_found(client_for):
    inviter, deactivated = PlayerFactory(), PlayerFactory()
    User.objects.filter(pk=deactivated.user_id).update(is_active=False)
    client = client_for(inviter.user)
    for invitee in ({"player": deactivated.pk}, {"player": 10**30}, {"username": deactivated.user.username}):
        answer = client.post("/api/invitations/", invitee, format="json")
        assert (answer.status_code, answer.json()["error"]) == (404, "PLAYER_NOT_FOUND"), invitee
    assert not Invitation.objects.exists()


def test_the_post_tells_a_gone_or_deactivated_account_401_and_a_staff_account_403(client_for):
    invitee = PlayerFactory()
    gone = PlayerFactory()
    client = client_for(gone.user)  # its token was issued while it existed
    User.objects.filter(pk=gone.user_id).delete()
    assert client.post("/api/invitations/", {"player": invitee.pk}, format="json").status_code == 401
    idle = PlayerFactory()
    client = client_for(idle.user)
    User.objects.filter(pk=idle.user_id).update(is_active=False)
    assert client.post("/api/invitations/", {"player": invitee.pk}, format="json").status_code == 401
    staff = User.objects.create_user("desk", "desk@example.com", "a-long-desk-pass-7")
    answer = client_for(staff).post("/api/invitations/", {"player": invitee.pk}, format="json")
    assert answer.status_code == 403 and answer.json()["error"] == "NO_PLAYER_PROFILE"
    assert not Invitation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_invitation_sent_twice_at_once_is_stored_once():
    inviter, invitee = PlayerFactory(), PlayerFactory()
    barrier = threading.Barrier(2)

    def send(_: int) -> str:
        barrier.wait(timeout=10)
        try:
            services.invitation_send(inviter_id=inviter.pk, invitee_id=invitee.pk)
            return "sent"
        except DomainError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(send, range(2)))
    assert outcomes == ["ALREADY_INVITED", "sent"]
    assert Invitation.objects.count() == 1 and Notification.objects.count() == 1


def test_the_answer_is_the_sent_invitation_shape(client_for):
    """The body built without the model serializer is what the serializer (the schema's shape) gives, in
    UTC and in a hall's zone alike."""
    inviter, invitee = PlayerFactory(), PlayerFactory()
    answer = client_for(inviter.user).post("/api/invitations/", {"player": invitee.pk}, format="json")
    invitation = Invitation.objects.get()
    assert answer.status_code == 201
    assert answer.json() == dict(SentInvitationSerializer(invitation).data)
    with timezone.override("Asia/Tbilisi"):
        assert sent_invitation_data(invitation) == dict(SentInvitationSerializer(invitation).data)
