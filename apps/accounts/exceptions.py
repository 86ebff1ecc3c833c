from rest_framework import status

from apps.core.exceptions import DomainError, NotFound


class UsernameTaken(DomainError):
    code = "USERNAME_TAKEN"
    default_detail = "That username is taken."


class EmailTaken(DomainError):
    code = "EMAIL_TAKEN"
    default_detail = "An account with that email already exists."


class WrongPassword(DomainError):
    code = "WRONG_PASSWORD"
    default_detail = "The current password is not correct."


class ActivationLinkInvalid(DomainError):
    code = "ACTIVATION_LINK_INVALID"
    default_detail = "This activation link is invalid, expired or already used."


class InvalidCode(DomainError):
    code = "INVALID_CODE"
    default_detail = "The code is wrong or has expired. Ask for a new one."


class InvalidKey(DomainError):
    code = "INVALID_KEY"
    default_detail = "The key is wrong, expired or already used. Verify a code again."


class GoogleTokenInvalid(DomainError):
    code = "GOOGLE_TOKEN_INVALID"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "The Google sign-in token could not be verified."


class NoPlayerProfile(DomainError):
    code = "NO_PLAYER_PROFILE"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "This account has no player profile (staff accounts do not play)."


class NotYourPlayer(DomainError):
    code = "NOT_YOUR_PLAYER"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You may only change your own player."


class PlayerNotFound(NotFound):
    code = "PLAYER_NOT_FOUND"
    default_detail = "No such player."
