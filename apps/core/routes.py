"""Routes that answer with and without a trailing slash, because the web client drops it on some GETs."""

import re
from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, re_path

_CONVERTERS = {"int": "[0-9]+", "uuid": "[0-9a-fA-F-]{36}", "str": "[^/]+", "slug": "[-a-zA-Z0-9_]+"}
_PARAMETER = re.compile(r"<(int|uuid|str|slug):(\w+)>")


def route(pattern: str, view: Callable[..., Any], name: str | None = None) -> URLPattern:
    """`pattern` reads like a `path()` route (`players/<int:pk>/`); the final slash becomes optional.

    Captured values stay strings (as with `re_path`); DRF views convert them where they look them up.
    """
    body = _PARAMETER.sub(lambda match: f"(?P<{match[2]}>{_CONVERTERS[match[1]]})", pattern.rstrip("/"))
    return re_path(rf"^{body}/?$", view, name=name)
