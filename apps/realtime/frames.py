"""Every frame the server sends on a socket is built here, so its shape is written once: the services
hand over their rows, the consumer sends what comes back. docs/socket.md describes each one
(tests/core/test_docs.py keeps the two in step).

Pictures travel as the players' `picture_url` (relative when stored locally); the consumer makes the
fields in PICTURE_FIELDS absolute with the host the socket was opened on, as REST answers do.
"""

from typing import TYPE_CHECKING, Any

from apps.halls.serializers import hold_data
from apps.reservations.serializers import reservation_data
from apps.walkup.serializers import entry_data, extension_data, offer_data, tables_freeing_data, waitlist_data

if TYPE_CHECKING:  # rows only; this module runs no query
    from apps.accounts.models import Player
    from apps.matchmaking.models import Invitation, Matchup, Message
    from apps.notifications.models import Notification
    from apps.reservations.models import GameSession
    from apps.social.models import FriendRequest
    from apps.walkup.models import Offer, QueueEntry
    from apps.walkup.selectors import EntryView, QueueView
    from apps.walkup.services import Extension

Frame = dict[str, Any]

PICTURE_FIELDS = (
    "inviter_profile_image",
    "responder_profile_image",
    "invite_sender_profile_pic",
    "player_reserving_profile_picture",
    "other_player_profile",
    "sender_profile_image",
    "friend_profile_image",
)


def lobby_changed(player: "Player", *, looking: bool) -> Frame:
    """To the lobby: a player's "looking for a game" flag went on (add) or off (delete)."""
    if looking:
        return {"protocol": "add", "username": player.user.username, "player_id": player.pk}
    return {"protocol": "delete", "username": player.user.username, "player_id": player.pk}


def invited(invitation: "Invitation", inviter: "Player") -> Frame:
    return {
        "protocol": "invited",
        "inviteSenderUsername": inviter.user.username,
        "inviter_profile_image": inviter.picture_url,
        "invitation_id": invitation.pk,
        "inviter_player_id": inviter.pk,
    }


def invitation_accepted(matchup: "Matchup", *, inviter: "Player", accepter: "Player", role: str) -> Frame:
    """To both players; `role` ("accepter" or "inviter") is the receiver's side."""
    return {
        "protocol": "handling_invite_response",
        "invite_response": "ACCEPTED",
        "matchup_id": str(matchup.pk),
        "accepterUsername": accepter.user.username,
        "responder_profile_image": accepter.picture_url,
        "inviteSenderUsername": inviter.user.username,
        "invite_sender_profile_pic": inviter.picture_url,
        "sub_protocol": role,
    }


def invitation_denied(invitee: "Player") -> Frame:
    return {
        "protocol": "handling_invite_response",
        "invite_response": "DENIED",
        "accepterUsername": invitee.user.username,
        "responder_profile_image": invitee.picture_url,
    }


def chat_message(
    message: "Message", *, sender: "Player", formatted_time: str, outdated: bool, counts_as_unread: bool
) -> Frame:
    return {
        "protocol": "handleMessage",
        "matchup_id": str(message.matchup_id),
        "message": message.body,
        "message_id": message.pk,
        "username": sender.user.username,
        "sender_player_id": sender.pk,
        "time_sent": message.time_sent.isoformat(),
        "getFormattedTime": formatted_time,
        "sub_protocol": "last_message_outdated" if outdated else "",
        # The chat list's unread counter goes up only when this chat was read before.
        "update_message_count": counts_as_unread,
    }


def chat_message_seen(frame: Frame) -> Frame:
    """The same message for a socket that is looking at its chat: it does not count as unread."""
    return {**frame, "update_message_count": False}


def notification(note: "Notification") -> Frame:
    sender = note.sent_by
    return {
        "protocol": "notification",
        "id": note.pk,
        "type": note.type,
        "body": note.body,
        "extra": note.extra,
        "timestamp": note.timestamp.isoformat(),
        "read": note.read,
        "sent_by": {"id": sender.pk, "username": sender.user.username} if sender is not None else None,
    }


def table_busy(session: "GameSession") -> Frame:
    """To the hall's board: a game started on a table (the session's reservation and players loaded).
    The booking's fields are the REST Reservation shape's, flattened as the board's clients read them."""
    booking = reservation_data(session.reservation, request=None)
    booker, opponent = booking["player_reserving"], booking["other_player_details"]
    return {
        "protocol": "now_busy",
        "changed_table_id": session.table_id,
        "changed_table_local_id": booking["table_number"],
        "game_session_id": session.pk,
        "start_time": booking["start_time"],
        "duration": booking["duration"],
        "end_time": booking["end_time"],
        "player_reserving_id": booker["id"] if booker else None,
        "player_reserving_username": booker["user"]["username"] if booker else None,
        "player_reserving_profile_picture": booker["profile_image"] if booker else None,
        "other_player_id": opponent["id"] if opponent else None,
        "other_player_username": opponent["user"]["username"] if opponent else None,
        "other_player_profile": opponent["profile_image"] if opponent else None,
    }


def table_free(session: "GameSession") -> Frame:
    return {
        "protocol": "now_free",
        "changed_table_id": session.table_id,
        "changed_table_local_id": session.table.number,
        "game_session_id": session.pk,
    }


def table_hold(*, table_id: int, table_number: int, held_for: dict[str, Any] | None) -> Frame:
    """To the hall's board: a table is held for an event between its games (`held_for`: a row of
    `hall_holds_now`, shaped as in the Table shape), or is released (`held_for` null: free for bookings and
    walk-ups again)."""
    return {
        "protocol": "table_hold",
        "changed_table_id": table_id,
        "changed_table_local_id": table_number,
        "held_for": hold_data(held_for),
    }


def session_finished(session: "GameSession") -> Frame:
    """To both players: their game is over (time to report the result)."""
    return {"protocol": "finish session", "game_session_id": session.pk}


def result_disputed(session: "GameSession", players: "list[Player]") -> Frame:
    """To the hall's staff (their sockets and the live board): a game's result waits for them."""
    return {
        "protocol": "result_disputed",
        "hall_id": session.table.hall_id,
        "game_session_id": session.pk,
        "changed_table_local_id": session.table.number,
        "usernames": [player.user.username for player in players],
    }


def friend_request(request: "FriendRequest", sender: "Player") -> Frame:
    """To the recipient of a friend request (never when they block the sender)."""
    return {
        "protocol": "friend_request",
        "request_id": request.pk,
        "sender_player_id": sender.pk,
        "sender_username": sender.user.username,
        "sender_profile_image": sender.picture_url,
    }


def friend_accepted(friend: "Player") -> Frame:
    """To the player whose friend request `friend` accepted."""
    return {
        "protocol": "friend_accepted",
        "friend_player_id": friend.pk,
        "friend_username": friend.user.username,
        "friend_profile_image": friend.picture_url,
    }


def friend_request_sent(request: dict[str, Any]) -> Frame:
    """The answer to my socket's friend request: `request` in the FriendRequest shape (`accepted` true when
    it accepted theirs, and we are friends)."""
    return {"protocol": "friend_request_sent", "request": request}


def friend_added(friend: dict[str, Any]) -> Frame:
    """The answer to my socket's accepting a friend request: the new friend in the Friend shape."""
    return {"protocol": "friend_added", "friend": friend}


def friend_request_closed(request_id: int, *, how: str) -> Frame:
    """The answer to my socket's declining (`how` "declined") or withdrawing ("cancelled") a request."""
    return {"protocol": "friend_request_closed", "request_id": request_id, "how": how}


def friend_removed(player_id: int) -> Frame:
    """The answer to my socket's removing a friend."""
    return {"protocol": "friend_removed", "player_id": player_id}


def player_blocked(blocked: dict[str, Any]) -> Frame:
    """The answer to my socket's blocking a player: the Blocked shape."""
    return {"protocol": "player_blocked", "blocked": blocked}


def player_unblocked(player_id: int) -> Frame:
    """The answer to my socket's unblocking a player."""
    return {"protocol": "player_unblocked", "player_id": player_id}


def table_offered(offer: "Offer", entry: "QueueEntry") -> Frame:
    """To the party's player: a table is theirs if they confirm in time (`until`: play ends by then)."""
    return {
        "protocol": "table_offered",
        "entry_id": entry.pk,
        "hall_id": entry.hall_id,
        "offer": offer_data(offer),
    }


def queue_status(entry: "QueueEntry", view: "EntryView | None") -> Frame:
    """To a waiting party's player when the queue changes: their place, wait and offer (or how it ended)."""
    return {"protocol": "queue_status", "entry": entry_data(entry, view)}


def queue_extended(extension: "Extension") -> Frame:
    """To the socket that asked for more time for a seated party: the REST Extension shape."""
    return {"protocol": "queue_extended", "extension": extension_data(extension)}


def walkup_queue(view: "QueueView") -> Frame:
    """To the hall's staff watching its queue: every waiting party with its offer, and the tables freeing."""
    return {
        "protocol": "walkup_queue",
        "hall_id": view.hall.pk,
        "entries": [entry_data(item.entry, item) for item in view.entries],
        "tables_freeing": tables_freeing_data(view),
    }


def waitlist(view: "QueueView") -> Frame:
    """To the public wait page (no login): the WaitList shape of REST."""
    return {"protocol": "waitlist", "waitlist": waitlist_data(view)}


def match_called(
    *,
    tournament_id: int,
    tournament_name: str,
    match_id: int,
    match_key: str,
    table_number: int,
    opponent: str,
    race_to: int,
    opponent_race_to: int,
    win_probability: float | None,
) -> Frame:
    """To each player of a tournament match called to a table (all their sockets): where, against whom, the
    races and their chance to win."""
    return {
        "protocol": "match_called",
        "tournament_id": tournament_id,
        "tournament_name": tournament_name,
        "match_id": match_id,
        "match_key": match_key,
        "table_number": table_number,
        "opponent_username": opponent,
        "race_to": race_to,
        "opponent_race_to": opponent_race_to,
        "win_probability": win_probability,
    }


def tournament_snapshot(snapshot: dict[str, Any]) -> Frame:
    """To a socket that starts watching a tournament: the whole of it, the REST Tournament shape."""
    return {"protocol": "tournament_snapshot", "tournament": snapshot}


def tournament_update(
    *, tournament_id: int, version: int, event: str, match: dict[str, Any] | None, snapshot: dict[str, Any] | None
) -> Frame:
    """To a tournament's watchers after every change: what happened, the match it happened to (a MatchCard)
    and, unless it was a live score, the whole tournament as it now stands."""
    return {
        "protocol": "tournament_update",
        "tournament_id": tournament_id,
        "version": version,
        "event": event,
        "match": match,
        "tournament": snapshot,
    }


def board_snapshot(hall_id: int, tables: list[dict[str, Any]]) -> Frame:
    return {"protocol": "board_snapshot", "hall_id": hall_id, "tables": tables}


def error(code: str, detail: str) -> Frame:
    return {"type": "error", "error": code, "detail": detail}


def with_absolute_pictures(frame: Frame, absolute: Any) -> Frame:
    """The frame with its relative picture paths made absolute by `absolute(path) -> url`."""
    relative = [key for key in PICTURE_FIELDS if isinstance(frame.get(key), str) and frame[key].startswith("/")]
    if not relative:
        return frame
    return {**frame, **{key: absolute(frame[key]) for key in relative}}
