"""Helpers shared by every app's REST interfaces, and the health probe."""

from typing import TYPE_CHECKING, Any, cast

from rest_framework.request import Request
from rest_framework.serializers import Serializer

if TYPE_CHECKING:
    from apps.accounts.models import User


def validated(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """Validate input with a serializer; failures become the VALIDATION_ERROR envelope."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def request_user(request: Request) -> "User":
    """The authenticated user of a view whose permission class already required authentication."""
    return cast("User", request.user)
