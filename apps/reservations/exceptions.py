from rest_framework import status

from apps.core.exceptions import DomainError


class ReservationError(DomainError):
    code = "RESERVATION_INVALID"


class StartInPast(ReservationError):
    code = "START_IN_PAST"
    default_detail = "The start time is in the past."


class BeyondBookingHorizon(ReservationError):
    code = "BEYOND_BOOKING_HORIZON"


class BadDuration(ReservationError):
    code = "INVALID_DURATION"


class OutsideOpeningHours(ReservationError):
    code = "OUTSIDE_OPENING_HOURS"


class TableOutOfService(ReservationError):
    code = "TABLE_OUT_OF_SERVICE"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This table is out of service."


class TableAlreadyBooked(ReservationError):
    code = "TABLE_ALREADY_BOOKED"
    status_code = status.HTTP_409_CONFLICT


class PlayerBusy(ReservationError):
    code = "PLAYER_ALREADY_BOOKED"
    status_code = status.HTTP_409_CONFLICT


class InvalidOpponent(ReservationError):
    code = "INVALID_OPPONENT"


class ReservationNotFound(ReservationError):
    code = "RESERVATION_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such reservation."


class NotYourReservation(ReservationError):
    code = "NOT_YOUR_RESERVATION"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Only the player who booked may cancel this reservation."


class ReservationOver(ReservationError):
    code = "RESERVATION_OVER"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This reservation is already finished or cancelled."


class TableNotFound(ReservationError):
    code = "TABLE_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such table in this hall."


class SessionNotFound(ReservationError):
    code = "SESSION_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such game session."


class SessionAlreadyFinished(ReservationError):
    code = "SESSION_FINISHED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This game session has already finished."
