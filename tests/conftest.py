import io
import shutil
from collections.abc import Callable, Iterator
from datetime import time
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.models import Player, User
from apps.core.redis import redis_client
from apps.halls import snapshot
from apps.matchmaking import lobby
from apps.realtime import presence
from apps.tournaments import services as tournament_services
from tests.databases import keep_reference_tables, worker_database
from tests.factories import ROUND_THE_CLOCK_ZONE, HallFactory, PlayerFactory, TableFactory


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (`make test`), the tests that drive real servers (marked e2e) go first.

    They are the longest (the full-stack game alone waits out a one-minute session) and mostly wait on their
    servers. With `--dist loadgroup` (pyproject.toml) each worker takes the next test whenever it is free, so
    begun first they overlap the rest of the suite on the other worker instead of queueing up at the end of
    one. pytest-django runs transactional tests last only so that they cannot disturb rows a data migration
    made; there are none here, and each transactional test leaves its database empty again. A run without
    xdist keeps pytest-django's order.
    """
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest, django_test_environment: None, django_db_blocker: Any
) -> Iterator[None]:
    """pytest-django's own set-up in one process; under xdist, each worker's database a copy of one migrated
    per run (tests/databases.py)."""
    from django.test.utils import setup_databases, teardown_databases

    worker = getattr(request.config, "workerinput", None)
    keep_reference_tables()
    with django_db_blocker.unblock():
        if worker is None:
            made = setup_databases(verbosity=0, interactive=False, serialized_aliases=())
        else:
            made = worker_database(worker["workerid"])
    yield
    with django_db_blocker.unblock():
        teardown_databases(made, verbosity=0)


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Each test starts with the test Redis database empty (tickets, throttles, cache), and with no copy of
    another test's lobby or hall boards in this process (those are versioned in the Redis just emptied)."""
    redis_client().flushdb()
    lobby._index = None
    lobby._kept.clear()
    presence._seen.clear()
    snapshot._local.clear()
    tournament_services._pushed_versions.clear()  # ids start again in an emptied database
    yield


@pytest.fixture(autouse=True, scope="session")
def _clean_media() -> Iterator[None]:
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def bearer(user: User, scheme: str = "JWT") -> str:
    return f"{scheme} {RefreshToken.for_user(user).access_token}"


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    def make(user: User, scheme: str = "JWT") -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer(user, scheme))
        return client

    return make


@pytest.fixture
def player(db: None) -> Player:
    return PlayerFactory()


@pytest.fixture
def other_player(db: None) -> Player:
    return PlayerFactory()


def png_bytes(width: int = 900, height: int = 600, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def hall(db: None):
    """Open round the clock (open == close), UTC (or the zone a clock run names), the default booking rules."""
    return HallFactory(open_time=time(0), close_time=time(0), time_zone=ROUND_THE_CLOCK_ZONE)


@pytest.fixture
def table(hall):
    return TableFactory(hall=hall, number=1)
