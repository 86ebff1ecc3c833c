"""The one error envelope: `{"error": CODE, "detail": sentence, "fields": {...}}`.

Domain errors subclass `DomainError`; the DRF exception handler below turns them, DRF's own
exceptions and Django's ValidationError/Http404/PermissionDenied into that envelope.
"""

import logging
from typing import Any

import redis
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the product was broken; carries a machine code, an HTTP status and a sentence."""

    code: str = "INVALID_REQUEST"
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail: str = "The request cannot be carried out."

    def __init__(self, detail: str | None = None, *, code: str | None = None, status_code: int | None = None):
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        super().__init__(self.detail)


class NotFound(DomainError):
    code = "NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Not found."


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You may not do this."


_DRF_CODES = {
    InvalidToken: "TOKEN_INVALID",
    drf_exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    drf_exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    drf_exceptions.PermissionDenied: "FORBIDDEN",
    drf_exceptions.NotFound: "NOT_FOUND",
    drf_exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    drf_exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    drf_exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    drf_exceptions.Throttled: "THROTTLED",
    drf_exceptions.ParseError: "MALFORMED_REQUEST",
    drf_exceptions.ValidationError: "VALIDATION_ERROR",
}


def _flatten_fields(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors for nested serializers; the client wants `field: [messages]` one level deep."""
    fields: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(_flatten_fields(value, name))
    elif isinstance(data, list) and data and all(not isinstance(item, (dict, list)) for item in data):
        fields[prefix or "non_field_errors"] = [str(item) for item in data]
    elif isinstance(data, list):
        for index, item in enumerate(data):
            fields.update(_flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        fields[prefix or "non_field_errors"] = [str(data)]
    return fields


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def _code_for(exc: drf_exceptions.APIException) -> str:
    for cls in type(exc).__mro__:
        if cls in _DRF_CODES:
            return _DRF_CODES[cls]
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes.upper()
    return "ERROR"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.detail), status=exc.status_code)
    if isinstance(exc, redis.RedisError):
        # Redis (live features: socket tickets, pushes) is down; what is stored still works.
        logger.warning("Redis unreachable in %s", type(context.get("view")).__name__)
        body = error_body("LIVE_FEATURES_UNAVAILABLE", "Live features are briefly unavailable; please retry shortly.")
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: stays a 500, logged by Django with its traceback.
        return None
    assert isinstance(exc, drf_exceptions.APIException)
    code = _code_for(exc)
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        # The web client shows the values of the body joined, so the sentence repeats the field errors.
        sentence = "; ".join(
            f"{name}: {' '.join(messages)}" if name != "non_field_errors" else " ".join(messages)
            for name, messages in fields.items()
        )
        response.data = error_body(code, sentence or "Invalid input.", fields)
    else:
        detail: Any = exc.detail
        if isinstance(detail, dict):
            # simplejwt puts a dict in `detail`; keep its sentence.
            detail = detail.get("detail") or "Authentication failed."
        response.data = error_body(code, str(detail))
        wait = getattr(exc, "wait", None)
        if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
            response.data["retry_after"] = str(int(wait))
    return response
