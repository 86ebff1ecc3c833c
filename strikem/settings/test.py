"""Test settings: the real MariaDB and Redis of the machine, fast hashing, no throttling surprises."""

import os

os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/strikem")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("CACHE_KEY_PREFIX", "strikem-test")
os.environ.setdefault("CHANNEL_PREFIX", "asgi-test")
os.environ.setdefault("ACCOUNT_ACTIVATION_REQUIRED", "true")
os.environ.setdefault("GOOGLE_CLIENT_ID", "strikem-test-client.apps.googleusercontent.com")

from strikem.settings.base import *  # noqa: F403
from strikem.settings.base import BASE_DIR, REST_FRAMEWORK

DEBUG = False
SERVE_MEDIA = True
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # Generous unless a test's server process is given its own (THROTTLE_LOGIN=5/min).
    "DEFAULT_THROTTLE_RATES": {
        scope: os.environ.get(f"THROTTLE_{scope.upper()}", "1000/min")
        for scope in ("login", "register", "codes", "invitations", "chat")
    },
}

# A pinned clock for the suite (`make test-clocks`): STRIKEM_TEST_CLOCK names the instant the run starts
# at, and the clock keeps ticking from there. The offset from the real clock is handed on in the
# environment so that every test process (xdist workers) shares it.
if os.environ.get("STRIKEM_TEST_CLOCK") and not os.environ.get("STRIKEM_TEST_CLOCK_OFFSET"):
    from datetime import datetime as _datetime

    _pinned = _datetime.fromisoformat(os.environ["STRIKEM_TEST_CLOCK"].replace("Z", "+00:00"))
    os.environ["STRIKEM_TEST_CLOCK_OFFSET"] = str(_pinned.timestamp() - _datetime.now().timestamp())
if os.environ.get("STRIKEM_TEST_CLOCK_OFFSET"):
    import time as _time

    import time_machine

    time_machine.travel(_time.time() + float(os.environ["STRIKEM_TEST_CLOCK_OFFSET"]), tick=True).start()
