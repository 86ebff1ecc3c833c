"""The published OpenAPI schema tells clients the whole truth, errors included.

- One security scheme (`jwtAuth`) for the access token, whichever JWT class a view uses; the header
  takes `Bearer <access>` (and the web client's `JWT <access>`).
- Path parameters are typed by what their route accepts (digits are integers, uuids are uuids).
- Every operation lists the error envelopes it can answer with: 400 where it reads input or writes,
  409 where it writes, 401 wherever a token or credentials are read, 403 where a signed-in user may
  still be refused, 404 where the path or the input names an object (or a page past the last), 415 for
  bodies, 429 for throttled calls, 503 while the database or Redis is unreachable, and 414 (an HTML page
  from the web server, before the API) where a query string can make the request line longer than
  8 KB (nginx's and Gunicorn's limit, deploy/gunicorn.conf.py). Schemathesis checks
  the live API against all of it (tests/e2e/test_api_fuzz.py).
- Every operation has a summary and a description, both from docstrings written here (see
  `AutoSchema.get_summary`); every path parameter says what it names. tests/core/test_docs.py holds
  the schema to that and docs/api.md to the schema.
"""

import inspect
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import append_meta
from drf_spectacular.utils import set_override
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework_simplejwt.authentication import JWTAuthentication, JWTStatelessUserAuthentication

from apps.core.auth import RememberedTokenAuthentication

# The stateless variants (no user row read) are the same scheme to a client.
set_override(JWTStatelessUserAuthentication, "suppress_collision_warning", True)
set_override(RememberedTokenAuthentication, "suppress_collision_warning", True)


class JWTScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = JWTAuthentication
    match_subclasses = True
    name = "jwtAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <access>`; the web client's `JWT <access>` works too.",
        }


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A sentence for people.")


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="Machine-readable code, e.g. VALIDATION_ERROR, NOT_FOUND, THROTTLED.")
    detail = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the envelope key; DRF pops declared fields
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: messages per field.",
    )
    retry_after = serializers.CharField(required=False, help_text="429 only: seconds until a retry may succeed.")


_SENTENCES = {
    400: "The input is invalid (see `fields`) or breaks a rule.",
    401: "No token, or a bad or expired one.",
    403: "Signed in, but not allowed to do this.",
    404: "No such object, or not one the caller may see.",
    409: "The request conflicts with the current state.",
    415: "The body is not in a supported media type.",
    429: "Too many requests; see `retry_after`.",
    503: "The database or Redis is briefly unavailable; retry after `Retry-After` seconds.",
}


# Refused by the web server (nginx, or Gunicorn behind it) before the API: its own page, not an envelope.
_TOO_LONG = {
    "description": "The request line (path and query string) is longer than 8 KB: the web server refuses it.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


# Path parameters by name: the same name means the same thing on every route.
_PATH_PARAMETERS = {
    "hall_id": "The hall's id.",
    "table_id": "The table's id (`Table.id`), not its number inside the hall.",
    "session_id": "The game session's id.",
    "tournament_id": "The tournament's id.",
    "match_id": "The tournament match's id (`MatchCard.id`).",
    "reservation_id": "The reservation's id.",
    "player_id": "The player's id.",
    "id": "The player's id.",
    "photo_id": "The hall photo's id.",
    "invitation_id": "The invitation's id.",
    "matchup_id": "The matchup's id (a UUID): the chat of two players who agreed to play.",
    "notification_id": "The notification's id.",
    "entry_id": "The walk-up queue entry's id (a waiting party).",
    "offer_id": "The table offer's id.",
    "request_id": "The friend request's id.",
    "device_id": "The device's id (from registering it).",
    "uid": "From the activation link: the user's id, URL-safe base64.",
    "token": "From the activation link: its single-use token.",
}

# Handler names a view docstring may head a section with (DRF's convention: a `list:` or `get:` line).
_SECTION_NAMES = frozenset(
    {"get", "post", "put", "patch", "delete", "list", "retrieve", "create", "update", "partial_update", "destroy"}
)


def _own_doc(obj: Any) -> str:
    """The docstring of a view class or handler written in this project. A library's (simplejwt's views,
    DRF's mixins) describes the library, not this API, so it does not count."""
    doc = getattr(obj, "__doc__", None)
    if not doc or not (getattr(obj, "__module__", None) or "").startswith("apps."):
        return ""
    return inspect.cleandoc(doc)


def _split_sections(doc: str) -> tuple[str, dict[str, str]]:
    """(text before any section, {handler name: its section}) of a view class docstring."""
    general: list[str] = []
    sections: dict[str, list[str]] = {}
    current = general
    for line in doc.splitlines():
        name, colon, rest = line.partition(":")
        if colon and name in _SECTION_NAMES:
            current = sections.setdefault(name, [])
            line = rest.strip()
        current.append(line)
    return "\n".join(general).strip(), {name: "\n".join(lines).strip() for name, lines in sections.items()}


class AutoSchema(SpectacularAutoSchema):
    def _docstring_parts(self) -> tuple[str, str]:
        """(summary, description) of this operation.

        The operation's own text is the handler's docstring (`get`, `post`, a viewset's `list`, ...) or,
        failing that, its section in the view class docstring; the class's general text applies to all
        its operations. The summary is the first line of the operation's own text (or of the general
        text when there is none); the description is everything else.
        """
        name = getattr(self.view, "action", None) or self.method.lower()
        general, sections = _split_sections(_own_doc(type(self.view)))
        own = _own_doc(getattr(self.view, name, None)) or sections.get(name, "")
        first, _newline, rest = (own or general).partition("\n")
        description = "\n\n".join(part for part in (rest.strip(), general if own else "") if part)
        return first.strip().removesuffix("."), description

    def get_summary(self) -> str | None:
        return self._docstring_parts()[0] or None

    def get_description(self) -> str:  # type: ignore[override]
        return self._docstring_parts()[1]

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        # Opening hours are wall-clock "HH:MM:SS" without an offset (OpenAPI's `time` format requires one).
        if isinstance(field, serializers.TimeField):
            # The field's own facts (read-only, nullable, description) as drf-spectacular gives any field.
            schema: dict[str, Any] = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$"}
            schema["example"] = "10:00:00"
            return append_meta(schema, self._get_serializer_field_meta(field, direction))
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            schema = parameter["schema"]
            if schema.get("pattern") == "^[0-9]+$":
                parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
            elif schema.get("pattern") == "^[0-9a-fA-F-]{36}$":
                parameter["schema"] = {"type": "string", "format": "uuid"}
            if not parameter.get("description") and parameter["name"] in _PATH_PARAMETERS:
                parameter["description"] = _PATH_PARAMETERS[parameter["name"]]
        return parameters

    def _error_statuses(self, operation: dict[str, Any]) -> list[int]:
        statuses = [503]
        reads_input = "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", []))
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        if reads_input or writes:
            statuses.append(400)
        if writes:
            statuses.append(409)
        if "requestBody" in operation:
            statuses.append(415)
        if self.view.get_authenticators() or getattr(self.view, "answers_bad_credentials", False):
            statuses.append(401)
            if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
                statuses.append(403)
        # Path ids, ids in the input and pages past the end are all 404s.
        if reads_input or any(p["in"] == "path" for p in operation.get("parameters", [])):
            statuses.append(404)
        if self.view.get_throttles():
            statuses.append(429)
        return sorted(statuses)

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            responses.setdefault("414", _TOO_LONG)
        for code in self._error_statuses(operation):
            if str(code) in responses:
                continue
            response = self._get_response_for_code(ErrorSerializer, str(code))
            response["description"] = _SENTENCES[code]
            responses[str(code)] = response
        return operation
