from apps.core.exceptions import DomainError, NotFound


class InvalidDeviceToken(DomainError):
    code = "INVALID_DEVICE_TOKEN"
    default_detail = (
        "That is not a device token of the platform: FCM tokens are 32 to 512 letters, digits, ':', '-' or "
        "'_'; APNs tokens are 64 to 200 hexadecimal digits."
    )


class DeviceNotFound(NotFound):
    code = "DEVICE_NOT_FOUND"
    default_detail = "No such device of yours."


class InvalidTimeZone(DomainError):
    code = "INVALID_TIME_ZONE"
    default_detail = "Give a time zone by its IANA name, e.g. Europe/Berlin."


class QuietHoursIncomplete(DomainError):
    code = "QUIET_HOURS_INCOMPLETE"
    default_detail = "Quiet hours need both a start and an end (or neither)."
