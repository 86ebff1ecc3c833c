from rest_framework import status

from apps.core.exceptions import DomainError


class NotHallStaff(DomainError):
    code = "NOT_HALL_STAFF"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Only the staff of this hall may do this."


class HallNotFound(DomainError):
    code = "HALL_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such pool hall."


class PhotoNotFound(DomainError):
    code = "PHOTO_NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No such photo in this hall."


class InvalidLocation(DomainError):
    code = "INVALID_LOCATION"
    default_detail = "lat must be within -90..90 and lng within -180..180."


class HallRequired(DomainError):
    code = "HALL_REQUIRED"
    default_detail = "Say which hall with ?hall=<id>."
