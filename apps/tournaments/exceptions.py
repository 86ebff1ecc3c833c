from rest_framework import status

from apps.core.exceptions import DomainError


class TournamentError(DomainError):
    code = "TOURNAMENT_INVALID"


class TournamentNotFound(TournamentError):
    code = "TOURNAMENT_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such tournament."


class MatchNotFound(TournamentError):
    code = "MATCH_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such match in this tournament."


class InvalidTournament(TournamentError):
    code = "INVALID_TOURNAMENT"


class RegistrationClosed(TournamentError):
    code = "REGISTRATION_CLOSED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Registration for this tournament is not open."


class AlreadyRegistered(TournamentError):
    code = "ALREADY_REGISTERED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You are already registered for this tournament."


class TournamentFull(TournamentError):
    code = "TOURNAMENT_FULL"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This tournament is full."


class NotRegistered(TournamentError):
    code = "NOT_REGISTERED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That player is not registered for this tournament."


class CheckInClosed(TournamentError):
    code = "CHECK_IN_CLOSED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Check-in is not open now."


class AlreadyStarted(TournamentError):
    code = "TOURNAMENT_STARTED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The tournament has already started."


class NotRunning(TournamentError):
    code = "TOURNAMENT_NOT_RUNNING"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The tournament is not running."


class NotEnoughPlayers(TournamentError):
    code = "NOT_ENOUGH_PLAYERS"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A tournament needs at least two checked-in players to start."


class TooEarly(TournamentError):
    code = "TOURNAMENT_TOO_EARLY"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The tournament can start once check-in has opened."


class NotYourMatch(TournamentError):
    code = "NOT_YOUR_MATCH"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You do not play in this match."


class ScoreDoesNotFitRace(TournamentError):
    code = "SCORE_DOES_NOT_FIT_RACE"


class MatchNotReady(TournamentError):
    code = "MATCH_NOT_READY"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This match is not waiting for a table."


class MatchNotOnTable(TournamentError):
    code = "MATCH_NOT_ON_TABLE"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This match is not being played on a table."


class MatchNotPlayable(TournamentError):
    code = "MATCH_NOT_PLAYABLE"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This match has no result to take now."


class MatchDecided(TournamentError):
    code = "MATCH_DECIDED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This match is already decided."


class TableNotAvailable(TournamentError):
    code = "TABLE_NOT_AVAILABLE"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That table is not one of this tournament's free tables now."


class PlayerBusy(TournamentError):
    code = "PLAYER_PLAYING"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A player of this match is playing another match."


class NothingToUndo(TournamentError):
    code = "NOTHING_TO_UNDO"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "No result of this tournament can be undone."


class UndoBlocked(TournamentError):
    code = "UNDO_BLOCKED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A match that depends on this result has started; undo that one first."
