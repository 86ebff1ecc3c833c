"""JSON from clients, with its nesting bounded before it is parsed.

Python's parser recurses once per bracket, so a body of a thousand `[` (under 2 KB) ends in a
RecursionError. Every place JSON comes in (the REST parser, the socket's frames) measures the depth first
and refuses anything deeper than JSON_MAX_DEPTH with a clear error.
"""

import io
import json
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A string literal (whose brackets do not count) or one bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    pass


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text; cheap when it has few brackets (the usual case)."""
    if text.count("[") + text.count("{") <= 1:
        return int("[" in text or "{" in text)
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        match token.group():
            case "[" | "{":
                depth += 1
                deepest = max(deepest, depth)
            case "]" | "}":
                depth -= 1
    return deepest


def check_depth(text: str) -> None:
    limit = settings.JSON_MAX_DEPTH
    if text.count("[") + text.count("{") > limit and nesting_depth(text) > limit:
        raise TooDeep(f"JSON may nest at most {limit} levels deep.")


def loads(text: str) -> Any:
    """json.loads for client input: TooDeep (a ValueError) before any deep recursion."""
    check_depth(text)
    return json.loads(text)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser behind the depth check: a too-deep body is a 400 MALFORMED_REQUEST."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            check_depth(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not valid {encoding}.") from exc
        except TooDeep as exc:
            raise ParseError(str(exc)) from exc
        return super().parse(io.BytesIO(raw), media_type, parser_context)
