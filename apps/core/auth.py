"""Token authentication for the read-heavy paths that need to know only who asks (no user row)."""

import threading
from collections import OrderedDict
from typing import Any

from django.utils import timezone
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.tokens import Token

_CACHE_SIZE = 4096


class RememberedTokenAuthentication(JWTStatelessUserAuthentication):
    """simplejwt's stateless authentication, remembering tokens it has verified.

    Verifying a token (PyJWT's decode) was a sixth of the hall page's CPU (py-spy, bench/rest_hot_path.py),
    and a client sends the same access token for a day. A token verified once is kept (per process, the
    most recent few thousand) and only its expiry is checked again; a forged or altered token is a
    different string and is verified from scratch.
    """

    _verified: "OrderedDict[bytes, Token]" = OrderedDict()
    _lock = threading.Lock()

    def get_validated_token(self, raw_token: bytes) -> Token:
        with self._lock:
            token = self._verified.get(raw_token)
            if token is not None:
                self._verified.move_to_end(raw_token)
        if token is not None and _unexpired(token):
            return token
        token = super().get_validated_token(raw_token)
        with self._lock:
            self._verified[raw_token] = token
            while len(self._verified) > _CACHE_SIZE:
                self._verified.popitem(last=False)
        return token


def _unexpired(token: Token) -> bool:
    expires: Any = token.get("exp")
    return expires is not None and timezone.now().timestamp() < float(expires)
