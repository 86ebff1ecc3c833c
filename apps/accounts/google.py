"""Verification of Google ID tokens against Google's published keys (no Google SDK needed).

The key set URL is configurable so that tests can publish a local key pair's JWKS on loopback.
"""

from dataclasses import dataclass
from functools import lru_cache

import jwt
from django.conf import settings

from apps.accounts.exceptions import GoogleTokenInvalid


@dataclass(frozen=True)
class GoogleIdentity:
    email: str
    given_name: str
    family_name: str


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def google_identity_verify(*, id_token: str) -> GoogleIdentity:
    if not settings.GOOGLE_CLIENT_ID:
        raise GoogleTokenInvalid("Google sign-in is not configured on this server.")
    try:
        signing_key = _jwks_client(settings.GOOGLE_JWKS_URL).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=["RS256"],
            audience=settings.GOOGLE_CLIENT_ID,
            issuer=settings.GOOGLE_ISSUERS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise GoogleTokenInvalid() from exc
    email = claims.get("email")
    if not email or not claims.get("email_verified"):
        raise GoogleTokenInvalid("The Google account has no verified email.")
    return GoogleIdentity(
        email=str(email).lower(),
        given_name=str(claims.get("given_name", ""))[:150],
        family_name=str(claims.get("family_name", ""))[:150],
    )
