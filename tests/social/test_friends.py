"""Friend requests, friends with their presence, the friend-looking opt-in and inviting from the list."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from apps.matchmaking.models import Invitation
from apps.notifications.models import Notification
from apps.reservations.models import GameSession
from apps.social.models import FriendRequest, Friendship
from apps.social.services import friend_request_send
from tests.factories import PlayerFactory, StaffUserFactory
from tests.helpers import book_directly

pytestmark = pytest.mark.django_db


def _befriend(first, second):
    Friendship.objects.create(player=first, friend=second)
    Friendship.objects.create(player=second, friend=first)


def test_request_accept_makes_both_friends_and_tells_the_sender(client_for, player, other_player):
    sent = client_for(player.user).post("/api/friend-requests/", {"username": other_player.user.username})
    assert sent.status_code == 201
    body = sent.json()
    assert body["accepted"] is False and body["recipient"]["id"] == other_player.id
    request_note = Notification.objects.get(recipient=other_player, type=Notification.Type.FRIEND_REQUEST)
    assert request_note.extra == str(body["id"]) and request_note.sent_by == player

    listed = client_for(other_player.user).get("/api/friend-requests/").json()
    assert [row["id"] for row in listed["received"]] == [body["id"]] and listed["sent"] == []
    accepted = client_for(other_player.user).post(f"/api/friend-requests/{body['id']}/accept/")
    assert accepted.status_code == 201
    assert accepted.json()["player"]["id"] == player.id
    assert set(Friendship.objects.values_list("player_id", "friend_id")) == {
        (player.id, other_player.id),
        (other_player.id, player.id),
    }
    assert not FriendRequest.objects.exists()
    told = Notification.objects.get(recipient=player, type=Notification.Type.FRIEND_ACCEPTED)
    assert told.sent_by == other_player
    request_note.refresh_from_db()
    assert request_note.read


def test_asking_back_accepts_their_request(client_for, player, other_player):
    first = client_for(player.user).post("/api/friend-requests/", {"player": other_player.id}).json()
    back = client_for(other_player.user).post("/api/friend-requests/", {"player": player.id})
    assert back.status_code == 201
    assert back.json()["accepted"] is True and back.json()["id"] == first["id"]
    assert Friendship.objects.count() == 2 and not FriendRequest.objects.exists()


def test_request_to_myself_twice_or_to_a_friend_is_refused_with_a_code(client_for, player, other_player):
    client = client_for(player.user)
    assert client.post("/api/friend-requests/", {"player": player.id}).json()["error"] == "FRIEND_REQUEST_TO_SELF"
    assert client.post("/api/friend-requests/", {"player": other_player.id}).status_code == 201
    again = client.post("/api/friend-requests/", {"player": other_player.id})
    assert (again.status_code, again.json()["error"]) == (409, "FRIEND_REQUEST_ALREADY_SENT")
    friend = PlayerFactory()
    _befriend(player, friend)
    already = client.post("/api/friend-requests/", {"player": friend.id})
    assert (already.status_code, already.json()["error"]) == (409, "ALREADY_FRIENDS")
    missing = client.post("/api/friend-requests/", {"username": "nobody-here"})
    assert (missing.status_code, missing.json()["error"]) == (404, "PLAYER_NOT_FOUND")
    empty = client.post("/api/friend-requests/", {}, format="json")
    assert (empty.status_code, empty.json()["error"]) == (400, "VALIDATION_ERROR")


def test_decline_is_silent_and_cancel_takes_the_notification_back(client_for, player, other_player):
    third = PlayerFactory()
    declined = client_for(player.user).post("/api/friend-requests/", {"player": other_player.id}).json()
    assert client_for(other_player.user).post(f"/api/friend-requests/{declined['id']}/decline/").status_code == 204
    assert not FriendRequest.objects.exists() and not Friendship.objects.exists()
    assert not Notification.objects.filter(recipient=player).exists()  # nothing tells the sender

    cancelled = client_for(player.user).post("/api/friend-requests/", {"player": third.id}).json()
    assert Notification.objects.filter(recipient=third, type=Notification.Type.FRIEND_REQUEST).exists()
    # Only the sender cancels, only the recipient answers.
    assert client_for(third.user).delete(f"/api/friend-requests/{cancelled['id']}/").status_code == 404
    assert client_for(player.user).post(f"/api/friend-requests/{cancelled['id']}/accept/").status_code == 404
    assert client_for(player.user).delete(f"/api/friend-requests/{cancelled['id']}/").status_code == 204
    assert not Notification.objects.filter(recipient=third, type=Notification.Type.FRIEND_REQUEST).exists()
    gone = client_for(third.user).post(f"/api/friend-requests/{cancelled['id']}/accept/")
    assert (gone.status_code, gone.json()["error"]) == (404, "FRIEND_REQUEST_NOT_FOUND")


def test_friend_list_shows_presence_and_playing_hall(client_for, player, table):
    looking, playing, idle = PlayerFactory(inviting_to_play=True), PlayerFactory(), PlayerFactory()
    idle.last_seen = timezone.now() - timedelta(hours=2)
    idle.save()
    for friend in (looking, playing, idle):
        _befriend(player, friend)
    PlayerFactory()  # not a friend
    started = timezone.now() - timedelta(minutes=5)
    booking = book_directly(table, playing, PlayerFactory(), start=started)
    GameSession.objects.create(reservation=booking, table=table, started_at=started)
    rows = {row["player"]["id"]: row for row in client_for(player.user).get("/api/friends/").json()}
    assert set(rows) == {looking.id, playing.id, idle.id}
    assert rows[looking.id]["looking"] is True and rows[looking.id]["playing_at"] is None
    assert rows[playing.id]["playing_at"] == {"hall_id": table.hall_id, "title": table.hall.title}
    assert rows[idle.id]["last_seen"] is not None and rows[idle.id]["online"] is False
    assert rows[idle.id]["player"]["user"]["email"] == ""


def test_remove_ends_both_sides_and_a_stranger_is_not_found(client_for, player, other_player):
    _befriend(player, other_player)
    stranger = PlayerFactory()
    missing = client_for(player.user).delete(f"/api/friends/{stranger.id}/")
    assert (missing.status_code, missing.json()["error"]) == (404, "FRIEND_NOT_FOUND")
    assert client_for(player.user).delete(f"/api/friends/{other_player.id}/").status_code == 204
    assert not Friendship.objects.exists()


def test_opted_in_friends_hear_when_i_start_looking_once_per_cooldown(client_for, player, other_player):
    listener, quiet = other_player, PlayerFactory()
    _befriend(player, listener)
    _befriend(player, quiet)
    patched = client_for(listener.user).patch(
        f"/api/friends/{player.id}/", {"notify_when_looking": True}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["notify_when_looking"] is True
    me = client_for(player.user)
    me.post("/api/lobby/", {"looking": True}, format="json")
    told = Notification.objects.filter(type=Notification.Type.FRIEND_LOOKING)
    assert [(note.recipient_id, note.extra) for note in told] == [(listener.id, str(player.id))]
    me.post("/api/lobby/", {"looking": False}, format="json")
    me.post("/api/lobby/", {"looking": True}, format="json")
    assert told.count() == 1  # flapping the flag does not flood friends


def test_invite_a_friend_from_the_list(client_for, player, other_player):
    stranger = PlayerFactory()
    _befriend(player, other_player)
    invited = client_for(player.user).post(f"/api/friends/{other_player.id}/invite/")
    assert invited.status_code == 201 and invited.json()["player_invited"] == other_player.id
    assert Invitation.objects.filter(player_inviting=player, player_invited=other_player).exists()
    refused = client_for(player.user).post(f"/api/friends/{stranger.id}/invite/")
    assert (refused.status_code, refused.json()["error"]) == (404, "FRIEND_NOT_FOUND")


def test_staff_without_a_player_get_no_player_profile(client_for):
    staff = StaffUserFactory()
    answer = client_for(staff).get("/api/friends/")
    assert (answer.status_code, answer.json()["error"]) == (403, "NO_PLAYER_PROFILE")


@pytest.mark.django_db(transaction=True)
def test_requests_to_each_other_at_once_make_one_friendship(player, other_player):
    """Both ask at the same moment: the player locks serialise them, the second accepts the first."""
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def ask(sender, recipient):
        try:
            barrier.wait()
            friend_request_send(sender=sender, recipient=recipient)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=pair) for pair in ((player, other_player), (other_player, player))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Friendship.objects.count() == 2 and not FriendRequest.objects.exists()
