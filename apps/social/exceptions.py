from rest_framework import status

from apps.core.exceptions import DomainError, NotFound


class SocialError(DomainError):
    code = "SOCIAL_INVALID"


class FriendRequestToSelf(SocialError):
    code = "FRIEND_REQUEST_TO_SELF"
    default_detail = "You cannot send a friend request to yourself."


class FriendRequestAlreadySent(SocialError):
    code = "FRIEND_REQUEST_ALREADY_SENT"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You have already asked this player; wait for the answer."


class AlreadyFriends(SocialError):
    code = "ALREADY_FRIENDS"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You are friends already."


class FriendRequestNotFound(NotFound):
    code = "FRIEND_REQUEST_NOT_FOUND"
    default_detail = "No such friend request."


class FriendNotFound(NotFound):
    code = "FRIEND_NOT_FOUND"
    default_detail = "That player is not your friend."


class BlockSelf(SocialError):
    code = "BLOCK_SELF"
    default_detail = "You cannot block yourself."


class AlreadyBlocked(SocialError):
    code = "ALREADY_BLOCKED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You have blocked this player already."


class BlockNotFound(NotFound):
    code = "BLOCK_NOT_FOUND"
    default_detail = "You have not blocked that player."


class YouBlockedThem(SocialError):
    """Only ever said to the blocker, who knows; the blocked player is never told (see the services)."""

    code = "PLAYER_BLOCKED_BY_YOU"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You have blocked this player; unblock them first."
