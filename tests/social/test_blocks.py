"""Blocking: every way one player reaches another is closed to the blocked one, and nothing tells them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.matchmaking.models import Invitation, Matchup, Message
from apps.matchmaking.services import auto_pair_wave
from apps.notifications.models import Notification
from apps.social.models import Block, FriendRequest, Friendship
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def _looking(**extra):
    return PlayerFactory(inviting_to_play=True, looking_since=timezone.now() - timedelta(minutes=1), **extra)


def _shape(response) -> tuple[int, list[str]]:
    """What a client can tell from an answer: its status and which keys it has."""
    return response.status_code, sorted(response.json())


def test_block_twice_self_and_unblock_have_codes(client_for, player, other_player):
    me = client_for(player.user)
    blocked = me.post("/api/blocks/", {"player": other_player.id})
    assert blocked.status_code == 201 and blocked.json()["player"]["id"] == other_player.id
    again = me.post("/api/blocks/", {"username": other_player.user.username})
    assert (again.status_code, again.json()["error"]) == (409, "ALREADY_BLOCKED")
    myself = me.post("/api/blocks/", {"player": player.id})
    assert (myself.status_code, myself.json()["error"]) == (400, "BLOCK_SELF")
    assert [row["player"]["id"] for row in me.get("/api/blocks/").json()] == [other_player.id]
    assert client_for(other_player.user).get("/api/blocks/").json() == []
    assert me.delete(f"/api/blocks/{other_player.id}/").status_code == 204
    gone = me.delete(f"/api/blocks/{other_player.id}/")
    assert (gone.status_code, gone.json()["error"]) == (404, "BLOCK_NOT_FOUND")


def test_blocking_ends_the_friendship_and_requests_both_ways(client_for, player, other_player):
    Friendship.objects.create(player=player, friend=other_player)
    Friendship.objects.create(player=other_player, friend=player)
    third = PlayerFactory()
    FriendRequest.objects.create(sender=third, recipient=player)
    FriendRequest.objects.create(sender=player, recipient=third)
    client_for(player.user).post("/api/blocks/", {"player": other_player.id})
    client_for(player.user).post("/api/blocks/", {"player": third.id})
    assert not Friendship.objects.exists() and not FriendRequest.objects.exists()


def test_a_blocked_players_friend_request_looks_sent_but_never_arrives(client_for, player, other_player):
    bystander = PlayerFactory()
    Block.objects.create(blocker=other_player, blocked=player)
    me = client_for(player.user)
    to_blocker = me.post("/api/friend-requests/", {"player": other_player.id})
    to_bystander = me.post("/api/friend-requests/", {"player": bystander.id})
    assert _shape(to_blocker) == _shape(to_bystander) == (201, ["accepted", "created_at", "id", "recipient", "sender"])
    assert to_blocker.json()["accepted"] is False
    assert {row["recipient"]["id"] for row in me.get("/api/friend-requests/").json()["sent"]} == {
        other_player.id,
        bystander.id,
    }
    again_blocker = me.post("/api/friend-requests/", {"player": other_player.id})
    again_bystander = me.post("/api/friend-requests/", {"player": bystander.id})
    assert again_blocker.json()["error"] == again_bystander.json()["error"] == "FRIEND_REQUEST_ALREADY_SENT"
    assert not Notification.objects.filter(recipient=other_player).exists()
    blocker = client_for(other_player.user)
    assert blocker.get("/api/friend-requests/").json()["received"] == []
    hidden = to_blocker.json()["id"]
    assert blocker.post(f"/api/friend-requests/{hidden}/accept/").status_code == 404
    # Unblocking delivers nothing that was held back.
    blocker.delete(f"/api/blocks/{player.id}/")
    assert blocker.get("/api/friend-requests/").json()["received"] == []


def test_the_blocker_is_told_they_blocked_the_player(client_for, player, other_player):
    Block.objects.create(blocker=player, blocked=other_player)
    me = client_for(player.user)
    for path, body in (
        ("/api/friend-requests/", {"player": other_player.id}),
        ("/api/invitations/", {"player": other_player.id}),
    ):
        answer = me.post(path, body)
        assert (answer.status_code, answer.json()["error"]) == (409, "PLAYER_BLOCKED_BY_YOU")


def test_a_blocked_players_invitation_is_accepted_but_never_delivered(client_for, player, other_player):
    bystander = PlayerFactory()
    Block.objects.create(blocker=other_player, blocked=player)
    me = client_for(player.user)
    to_blocker = me.post("/api/invitations/", {"player": other_player.id})
    to_bystander = me.post("/api/invitations/", {"player": bystander.id})
    assert _shape(to_blocker) == _shape(to_bystander)
    assert to_blocker.status_code == 201
    assert me.post("/api/invitations/", {"player": other_player.id}).json()["error"] == "ALREADY_INVITED"
    assert not Notification.objects.filter(recipient=other_player).exists()
    blocker = client_for(other_player.user)
    assert blocker.get("/api/invitations/").json() == []
    assert blocker.get("/api/player-details/").json()["received_invitations"] == []
    invitation_id = to_blocker.json()["id"]
    assert blocker.post(f"/api/invitations/{invitation_id}/accept/").status_code == 404
    assert Invitation.objects.get(pk=invitation_id).status == Invitation.Status.PENDING


def test_blocking_cancels_my_invitations_to_them_and_hides_our_chat(client_for, player, other_player):
    invitation = Invitation.objects.create(
        player_inviting=player, player_invited=other_player, expires_at=timezone.now() + timedelta(minutes=5)
    )
    matchup = Matchup.objects.create(player_inviting=other_player, player_accepting=player)
    client_for(player.user).post("/api/blocks/", {"player": other_player.id})
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
    assert client_for(player.user).get("/api/matchups/").json()["results"] == []
    # The blocked player's side of the chat is as it was.
    assert [row["id"] for row in client_for(other_player.user).get("/api/matchups/").json()["results"]] == [
        str(matchup.pk)
    ]


def test_a_blocked_players_messages_are_stored_but_never_reach_the_blocker(client_for, player, other_player):
    matchup = Matchup.objects.create(player_inviting=other_player, player_accepting=player)
    client_for(player.user).post("/api/blocks/", {"player": other_player.id})
    sent = client_for(other_player.user).post(f"/api/matchups/{matchup.pk}/chat/", {"message": "hello?"})
    assert sent.status_code == 201
    assert Message.objects.filter(matchup=matchup, body="hello?").exists()
    assert not Notification.objects.filter(recipient=player, type=Notification.Type.MESSAGE).exists()
    blocker = client_for(player.user)
    assert blocker.get("/api/matchups/").json()["results"] == []
    assert blocker.get("/api/unread-matchups/").json() == {"unread": 0}
    refused = blocker.post(f"/api/matchups/{matchup.pk}/chat/", {"message": "go away"})
    assert (refused.status_code, refused.json()["error"]) == (409, "PLAYER_BLOCKED_BY_YOU")


def test_neither_appears_in_the_others_matchmaking_list(client_for):
    blocker, blocked, bystander = _looking(), _looking(), _looking()
    Block.objects.create(blocker=blocker, blocked=blocked)
    assert [row["id"] for row in client_for(blocker.user).get("/api/filter-ratings/").json()] == [bystander.id]
    assert [row["id"] for row in client_for(blocked.user).get("/api/filter-ratings/").json()] == [bystander.id]
    assert {row["id"] for row in client_for(bystander.user).get("/api/filter-ratings/").json()} == {
        blocker.id,
        blocked.id,
    }


def test_automatic_pairing_never_pairs_a_blocked_pair():
    blocker = _looking(rating=1500, auto_pair=True)
    blocked = _looking(rating=1501, auto_pair=True)
    Block.objects.create(blocker=blocker, blocked=blocked)
    assert auto_pair_wave() == 0
    other = _looking(rating=1600, auto_pair=True)
    assert auto_pair_wave() == 1
    (pair,) = Matchup.objects.values_list("player_inviting_id", "player_accepting_id")
    assert other.id in pair and set(pair) != {blocker.id, blocked.id}


def test_nobody_books_a_game_against_someone_who_blocks_them_and_learns_nothing(
    client_for, player, other_player, table
):
    from tests.helpers import at

    client_for(other_player.user).post("/api/blocks/", {"player": player.id})
    url = f"/api/poolhouses/{table.hall_id}/tables/{table.id}/reserve/"
    answer = client_for(player.user).post(
        url, {"start_time": at(2).isoformat(), "duration": 60, "other_player": other_player.id}, format="json"
    )
    stranger = client_for(player.user).post(
        url, {"start_time": at(2).isoformat(), "duration": 60, "other_player": 999999}, format="json"
    )
    assert answer.status_code == stranger.status_code == 400
    assert answer.json() == stranger.json()  # the same answer as for a player who does not exist
    assert not Notification.objects.filter(recipient=other_player, type=Notification.Type.RESERVED).exists()
