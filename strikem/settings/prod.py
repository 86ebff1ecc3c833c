"""Production settings: every secret must come from the environment, so a missing one fails at start."""

import os

from django.core.exceptions import ImproperlyConfigured

_REQUIRED = ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")
_missing = [name for name in _REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(f"Missing required environment variables: {', '.join(_missing)}")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_FORMAT", "json")
# In production nginx runs beside the app on each instance and is the one proxy the app hears from.
os.environ.setdefault("TRUSTED_PROXIES", "127.0.0.1,::1")

from strikem.settings.base import *  # noqa: E402,F403
from strikem.settings.base import env  # noqa: E402

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
