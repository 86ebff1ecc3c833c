import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.db import connections
from django.utils import timezone

from apps.accounts.serializers import PlayerSerializer
from apps.core.exceptions import DomainError
from apps.core.geo import distance_m
from apps.matchmaking import services
from apps.matchmaking.models import Invitation, Matchup, Message
from apps.notifications.models import Notification
from apps.realtime.presence import presence_connect
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

CENTRE = (41.7151, 44.8271)


def _looking(rating=1500.0, lat=None, lng=None, **extra):
    return PlayerFactory(
        rating=rating, inviting_to_play=True, looking_since=timezone.now(), latitude=lat, longitude=lng, **extra
    )


def test_list_never_shows_me_nor_players_not_looking(client_for):
    me = _looking()
    other = _looking()
    PlayerFactory(inviting_to_play=False)
    rows = client_for(me.user).get("/api/filter-ratings/").json()
    assert [row["id"] for row in rows] == [other.id]
    assert rows[0]["user"]["email"] == "" and "online" in rows[0]


def test_each_row_is_the_player_shape_with_presence_and_distance_and_no_deactivated_account(client_for, rf):
    me = _looking(lat=CENTRE[0], lng=CENTRE[1])
    online = _looking(lat=CENTRE[0] + 0.01, lng=CENTRE[1])
    away = _looking(rating=1510.0)
    gone = _looking()
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    async_to_sync(presence_connect)(player_id=online.pk, channel_name="test-socket-of-online")
    response = client_for(me.user).get("/api/filter-ratings/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    rows = {row["id"]: row for row in response.json()}
    assert set(rows) == {online.pk, away.pk}
    assert (rows[online.pk]["online"], rows[away.pk]["online"]) == (True, False)
    assert rows[online.pk]["distance"] == round(distance_m(*CENTRE, CENTRE[0] + 0.01, CENTRE[1]))
    assert rows[away.pk]["distance"] is None
    request = rf.get("/", HTTP_HOST="testserver")
    request.user = me.user
    for player in (online, away):
        player.refresh_from_db()
        shape = PlayerSerializer(player, context={"request": request, "online_ids": {online.pk}}).data
        assert {key: value for key, value in rows[player.pk].items() if key != "distance"} == shape


def test_rating_window_filters_and_widens_with_waiting(client_for):
    me = _looking(1500)
    near = _looking(1650)
    far = _looking(1800)
    client = client_for(me.user)
    ids = [row["id"] for row in client.get("/api/filter-ratings/", {"filter": "rating"}).json()]
    assert ids == [near.id]
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):  # window 200 + 5 * 25 = 325
        ids = [row["id"] for row in client.get("/api/filter-ratings/", {"filter": "rating"}).json()]
        assert ids == [near.id, far.id]
        assert [row["id"] for row in client.get("/api/filter-ratings/").json()] == [near.id, far.id]


def test_distance_filter_and_fit_order(client_for):
    me = _looking(1500, *CENTRE)
    close_same_level = _looking(1510, CENTRE[0] + 0.01, CENTRE[1])
    close_other_level = _looking(1690, CENTRE[0] + 0.01, CENTRE[1])
    far_away = _looking(1500, CENTRE[0] + 1.0, CENTRE[1])  # ~111 km
    rows = client_for(me.user).get("/api/filter-ratings/", {"filter_location": "true"}).json()
    assert [row["id"] for row in rows] == [close_same_level.id, close_other_level.id]
    assert 1000 <= rows[0]["distance"] <= 1200
    everyone = client_for(me.user).get("/api/filter-ratings/").json()
    assert far_away.id in [row["id"] for row in everyone]


def test_limit_is_bounded(client_for):
    me = _looking()
    for _ in range(5):
        _looking()
    assert len(client_for(me.user).get("/api/filter-ratings/", {"limit": 2}).json()) == 2
    assert client_for(me.user).get("/api/filter-ratings/", {"limit": 5000}).status_code == 400


def test_players_i_already_have_a_chat_with_are_left_out(client_for):
    me, partner, other = _looking(), _looking(), _looking()
    Matchup.objects.create(player_inviting=partner, player_accepting=me)
    ids = [row["id"] for row in client_for(me.user).get("/api/filter-ratings/").json()]
    assert ids == [other.id]


def test_invite_accept_over_rest_creates_one_chat_and_clears_both_flags(client_for):
    inviter, invitee, bystander = _looking(), _looking(), _looking()
    client = client_for(inviter.user)
    sent = client.post("/api/invitations/", {"player": {"id": invitee.id}}, format="json")
    assert sent.status_code == 201
    again = client.post("/api/invitations/", {"username": invitee.user.username}, format="json")
    assert again.status_code == 409 and again.json()["error"] == "ALREADY_INVITED"
    other_invitation = services.invitation_send(inviter_id=bystander.pk, invitee_id=invitee.pk)

    details = client_for(invitee.user).get("/api/player-details/").json()
    assert {row["player_inviting"]["id"] for row in details["received_invitations"]} == {inviter.id, bystander.id}
    assert client.get("/api/player-details/").json()["sent_invitations"] == [
        {
            "id": sent.json()["id"],
            "player_invited": invitee.id,
            "created_at": sent.json()["created_at"],
            "expires_at": sent.json()["expires_at"],
        }
    ]
    received = client_for(invitee.user).get("/api/invitations/").json()
    assert len(received) == 2

    accepted = client_for(invitee.user).post(f"/api/invitations/{sent.json()['id']}/accept/")
    assert accepted.status_code == 201
    assert Matchup.objects.count() == 1
    inviter.refresh_from_db()
    invitee.refresh_from_db()
    assert not inviter.inviting_to_play and not invitee.inviting_to_play
    other_invitation.refresh_from_db()
    assert other_invitation.status == Invitation.Status.CANCELLED
    assert Notification.objects.filter(recipient=inviter, type="ACP", sent_by=invitee).exists()
    assert Notification.objects.filter(recipient=invitee, type="INV", sent_by=inviter).exists()


def test_only_the_invitee_answers_and_expired_invitations_are_gone(client_for):
    inviter, invitee, stranger = _looking(), _looking(), _looking()
    invitation = services.invitation_send(inviter_id=inviter.pk, invitee_id=invitee.pk)
    assert client_for(stranger.user).post(f"/api/invitations/{invitation.id}/accept/").status_code == 404
    assert client_for(inviter.user).post(f"/api/invitations/{invitation.id}/accept/").status_code == 404
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    late = client_for(invitee.user).post(f"/api/invitations/{invitation.id}/accept/")
    assert late.status_code == 404 and late.json()["error"] == "INVITATION_NOT_FOUND"
    assert client_for(invitee.user).get("/api/invitations/").json() == []


def test_deny_then_inviting_again_within_the_cooldown_is_refused(client_for):
    inviter, invitee = _looking(), _looking()
    invitation = services.invitation_send(inviter_id=inviter.pk, invitee_id=invitee.pk)
    assert client_for(invitee.user).post(f"/api/invitations/{invitation.id}/deny/").status_code == 204
    assert Notification.objects.filter(recipient=inviter, type="REJ").exists()
    again = client_for(inviter.user).post("/api/invitations/", {"player": invitee.id}, format="json")
    assert again.status_code == 409 and again.json()["error"] == "DENIED_RECENTLY"


def test_self_invitation_is_refused(client_for):
    me = _looking()
    response = client_for(me.user).post("/api/invitations/", {"player": me.id}, format="json")
    assert response.status_code == 400 and response.json()["error"] == "INVALID_INVITEE"


@pytest.mark.django_db(transaction=True)
def test_both_accepting_each_others_invitations_at_once_make_one_chat():
    first, second = _looking(), _looking()
    services.invitation_send(inviter_id=first.pk, invitee_id=second.pk)
    services.invitation_send(inviter_id=second.pk, invitee_id=first.pk)
    barrier = threading.Barrier(2)

    def accept(pair):
        invitee, inviter = pair
        barrier.wait(timeout=10)
        try:
            services.invitation_accept(invitee=invitee, inviter=inviter)
            return "accepted"
        except DomainError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(accept, [(second, first), (first, second)]))
    assert outcomes == ["INVITATION_NOT_FOUND", "accepted"]
    assert Matchup.objects.count() == 1


def test_lobby_toggle_over_rest(client_for, player):
    client = client_for(player.user)
    assert client.post("/api/lobby/", {}, format="json").json()["inviting_to_play"] is True
    assert client.post("/api/lobby/", {"looking": True}, format="json").json()["inviting_to_play"] is True
    assert client.post("/api/lobby/", {}, format="json").json()["inviting_to_play"] is False


def test_chat_history_is_paged_newest_first_with_outdated_marks(client_for):
    a, b = PlayerFactory(), PlayerFactory()
    matchup = Matchup.objects.create(player_inviting=a, player_accepting=b)
    first = services.message_send(sender=a, matchup_id=matchup.pk, body="hello")
    Message.objects.filter(pk=first.pk).update(time_sent=timezone.now() - timedelta(minutes=30))
    Matchup.objects.filter(pk=matchup.pk).update(last_message_at=timezone.now() - timedelta(minutes=30))
    second = services.message_send(sender=b, matchup_id=matchup.pk, body="still on?")
    third = services.message_send(sender=a, matchup_id=matchup.pk, body="yes")
    page = client_for(b.user).get(f"/api/matchups/{matchup.pk}/chat/").json()
    assert [row["id"] for row in page["results"]] == [third.id, second.id, first.id]
    assert [row["after_outdated"] for row in page["results"]] == [False, True, True]
    assert page["results"][0]["sender"]["user"]["email"] == ""
    too_long = client_for(a.user).post(f"/api/matchups/{matchup.pk}/chat/", {"message": "x" * 2001})
    assert too_long.status_code == 400
    blank = client_for(a.user).post(f"/api/matchups/{matchup.pk}/chat/", {"message": "   "})
    assert blank.status_code == 400


def test_read_state_is_per_member(client_for):
    a, b = PlayerFactory(), PlayerFactory()
    matchup = Matchup.objects.create(player_inviting=a, player_accepting=b)
    sent = client_for(a.user).post(f"/api/matchups/{matchup.pk}/chat/", {"message": "hi"})
    assert sent.status_code == 201
    mine = client_for(a.user).get("/api/matchups/").json()["results"][0]
    theirs = client_for(b.user).get("/api/matchups/").json()["results"][0]
    assert mine["read"] is True and theirs["read"] is False
    assert theirs["last_message"]["body"] == "hi" and theirs["last_message"]["sender"]["id"] == a.id
    assert client_for(b.user).get("/api/unread-matchups/").json() == {"unread": 1}
    assert client_for(a.user).get("/api/unread-matchups/").json() == {"unread": 0}
    assert client_for(b.user).put(f"/api/read-matchup/{matchup.pk}/").status_code == 200
    assert client_for(b.user).get("/api/unread-matchups/").json() == {"unread": 0}
    assert client_for(PlayerFactory().user).put(f"/api/read-matchup/{matchup.pk}/").status_code == 404


def test_hiding_a_chat_is_per_member_and_outsiders_get_404(client_for):
    a, b = PlayerFactory(), PlayerFactory()
    matchup = Matchup.objects.create(player_inviting=a, player_accepting=b)
    assert client_for(PlayerFactory().user).delete(f"/api/matchups/{matchup.pk}/").status_code == 404
    assert client_for(a.user).delete(f"/api/matchups/{matchup.pk}/").status_code == 204
    assert client_for(a.user).get("/api/matchups/").json()["count"] == 0
    assert client_for(b.user).get("/api/matchups/").json()["count"] == 1


def test_notifications_are_mine_only_and_can_be_marked_read(client_for):
    a, b = PlayerFactory(), PlayerFactory()
    services.invitation_send(inviter_id=a.pk, invitee_id=b.pk)
    matchup = Matchup.objects.create(player_inviting=a, player_accepting=b)
    services.message_send(sender=a, matchup_id=matchup.pk, body="one")
    services.message_send(sender=a, matchup_id=matchup.pk, body="two")  # coalesced into one MSG
    page = client_for(b.user).get("/api/notifications/").json()
    assert [row["type"] for row in page["results"]] == ["MSG", "INV"]
    assert all(row["sent_by"]["user"]["username"] == a.user.username for row in page["results"])
    assert client_for(b.user).get("/api/unread-notifications/").json() == {"unread": 2}
    first_id = page["results"][0]["id"]
    assert client_for(a.user).put(f"/api/notifications/{first_id}/").status_code == 404
    assert client_for(b.user).put(f"/api/notifications/{first_id}/").json()["read"] is True
    assert client_for(b.user).get("/api/unread-notifications/").json() == {"unread": 1}
    assert client_for(b.user).put("/api/mark-all-read/").status_code == 200
    assert client_for(b.user).get("/api/unread-notifications/").json() == {"unread": 0}


def test_the_list_tells_a_gone_or_deactivated_account_401_and_a_staff_account_403(client_for):
    from apps.accounts.models import User

    gone = _looking()
    client = client_for(gone.user)  # its token was issued while it existed
    User.objects.filter(pk=gone.user_id).delete()
    assert client.get("/api/filter-ratings/").status_code == 401
    idle = _looking()
    client = client_for(idle.user)
    User.objects.filter(pk=idle.user_id).update(is_active=False)
    assert client.get("/api/filter-ratings/").status_code == 401
    staff = User.objects.create_user("desk", "desk@example.com", "a-long-desk-pass-7")
    answer = client_for(staff).get("/api/filter-ratings/")
    assert answer.status_code == 403 and answer.json()["error"] == "NO_PLAYER_PROFILE"
