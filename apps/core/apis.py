"""Helpers shared by every app's REST interfaces, and the health probe."""

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, cast

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.serializers import Serializer

if TYPE_CHECKING:
    from apps.accounts.models import User


def validated(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """Validate input with a serializer; failures become the VALIDATION_ERROR envelope."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


_QUERIES: "OrderedDict[tuple[type[Serializer], str], dict[str, Any]]" = OrderedDict()
_QUERIES_LOCK = threading.Lock()
_QUERIES_KEPT = 512


def validated_query(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    """`validated` for a query string, remembering what each query string validated to (per process, the
    most recent few hundred): a list polled by every client with the same few query strings is validated
    once, not on every request (building a serializer was a sixth of the matchmaking list's time). Only for
    serializers whose answer depends on the query alone; refused queries are validated every time."""
    key = (serializer_class, request.META.get("QUERY_STRING", ""))
    with _QUERIES_LOCK:
        known = _QUERIES.get(key)
        if known is not None:
            _QUERIES.move_to_end(key)
    if known is not None:
        return dict(known)
    data = validated(serializer_class, request.query_params)
    with _QUERIES_LOCK:
        _QUERIES[key] = data
        while len(_QUERIES) > _QUERIES_KEPT:
            _QUERIES.popitem(last=False)
    return dict(data)


class JsonOnly(DefaultContentNegotiation):
    """For a view that answers JSON whatever the client accepts: the first renderer (JSON), without
    parsing the Accept header on every request."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def request_user(request: Request) -> "User":
    """The authenticated user of a view whose permission class already required authentication."""
    return cast("User", request.user)
