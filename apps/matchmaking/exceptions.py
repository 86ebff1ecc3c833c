from rest_framework import status

from apps.core.exceptions import DomainError


class MatchmakingError(DomainError):
    code = "MATCHMAKING_INVALID"


class InvalidInvitee(MatchmakingError):
    code = "INVALID_INVITEE"
    default_detail = "You cannot invite that player."


class AlreadyInvited(MatchmakingError):
    code = "ALREADY_INVITED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You have already invited this player; wait for the answer."


class DeniedRecently(MatchmakingError):
    code = "DENIED_RECENTLY"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This player declined your invitation a moment ago; try again later."


class AlreadyMatched(MatchmakingError):
    code = "ALREADY_MATCHED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You already have a chat with this player."


class InvitationNotFound(MatchmakingError):
    code = "INVITATION_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "There is no pending invitation from that player to you."


class MatchupNotFound(MatchmakingError):
    code = "MATCHUP_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such chat."


class InvalidMessage(MatchmakingError):
    code = "INVALID_MESSAGE"
    default_detail = "A message has 1 to 2000 characters."
