from rest_framework import status

from apps.core.exceptions import DomainError


class WalkupError(DomainError):
    code = "QUEUE_INVALID"


class HallClosed(WalkupError):
    code = "HALL_CLOSED"
    status_code = status.HTTP_409_CONFLICT


class AlreadyInQueue(WalkupError):
    code = "ALREADY_IN_QUEUE"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You are already waiting for a table."


class NoSuchTableKind(WalkupError):
    code = "TABLE_KIND_NOT_HERE"


class EntryNotFound(WalkupError):
    code = "QUEUE_ENTRY_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such party in the queue."


class EntryNotWaiting(WalkupError):
    code = "QUEUE_ENTRY_NOT_WAITING"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This party is no longer waiting."


class OfferNotFound(WalkupError):
    code = "OFFER_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such table offer."


class OfferExpired(WalkupError):
    code = "OFFER_EXPIRED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This offer has expired; the table went to the next party."


class OfferAnswered(WalkupError):
    code = "OFFER_NOT_PENDING"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This offer has already been answered or withdrawn."


class NoFreeTable(WalkupError):
    code = "NO_FREE_TABLE"
    status_code = status.HTTP_409_CONFLICT


class EntryNotSeated(WalkupError):
    code = "QUEUE_ENTRY_NOT_SEATED"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Only a party seated from the queue can ask for more time."
