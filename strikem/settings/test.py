"""Test settings: the real MariaDB and Redis of the machine, fast hashing, no throttling surprises."""

import os
import time
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/strikem")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("CACHE_KEY_PREFIX", "strikem-test")
os.environ.setdefault("CHANNEL_PREFIX", "asgi-test")
os.environ.setdefault("ACCOUNT_ACTIVATION_REQUIRED", "true")
os.environ.setdefault("GOOGLE_CLIENT_ID", "strikem-test-client.apps.googleusercontent.com")


def _redis_url_shifted(url: str, offset: int) -> str:
    """The same Redis URL on the database `offset` places further (redis-py reads `?db=` before the path)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "db" in query or parts.scheme == "unix":
        query["db"] = str(int(query.get("db", 0)) + offset)
        return f"{url.partition('?')[0]}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{int(parts.path.strip('/') or 0) + offset}"))


# Under pytest-xdist (`make test`) worker processes gw0, gw1, ... each run a share of the suite at the same
# time. Each has its own test database (test_strikem_gw0, ..., copies of one migrated per run:
# tests/databases.py); here each also gets its own Redis database, REDIS_URL's number plus the worker's (9
# for gw0 and 10 for gw1 by default), and its own cache and channel prefixes: every test flushes its Redis
# database, so two workers on one would wipe each
# other's tickets, cache and queued Celery tasks. The values go back into the environment, so the servers a
# test starts (tests/processes.py) inherit them and, seeing STRIKEM_TEST_WORKER, keep them as they are.
# A run without xdist changes nothing.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if TEST_WORKER and os.environ.get("STRIKEM_TEST_WORKER") != TEST_WORKER:
    _offset = int(TEST_WORKER.removeprefix("gw"))
    for _name in ("REDIS_URL", "CELERY_BROKER_URL", "CHANNEL_REDIS_URLS"):
        if os.environ.get(_name):
            os.environ[_name] = ",".join(_redis_url_shifted(url, _offset) for url in os.environ[_name].split(","))
    for _name in ("CACHE_KEY_PREFIX", "CHANNEL_PREFIX"):
        os.environ[_name] = f"{os.environ[_name]}-{TEST_WORKER}"
    os.environ["STRIKEM_TEST_WORKER"] = TEST_WORKER

# Imported after the environment above is settled, since base.py reads it.
from strikem.settings.base import *  # noqa: E402, F403
from strikem.settings.base import BASE_DIR, REST_FRAMEWORK  # noqa: E402

DEBUG = False
SERVE_MEDIA = True
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One per worker: each removes its own when its session ends (tests/conftest.py).
MEDIA_ROOT = BASE_DIR / "var" / (f"test-media-{TEST_WORKER}" if TEST_WORKER else "test-media")
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
    _pinned = datetime.fromisoformat(os.environ["STRIKEM_TEST_CLOCK"].replace("Z", "+00:00"))
    os.environ["STRIKEM_TEST_CLOCK_OFFSET"] = str(_pinned.timestamp() - time.time())
if os.environ.get("STRIKEM_TEST_CLOCK_OFFSET"):
    import time_machine  # only for a pinned run: it brings pytest into every server process a test starts

    time_machine.travel(time.time() + float(os.environ["STRIKEM_TEST_CLOCK_OFFSET"]), tick=True).start()
