"""A Gunicorn worker warms up before its first request (deploy/gunicorn.conf.py's post_worker_init), and it and
Daphne freeze what outlives requests and sockets."""

import gc
import logging
import sys

import pytest
from django.db import connection

from apps.core import warmup
from apps.realtime import push
from strikem import asgi


@pytest.fixture(autouse=True)
def _unfrozen():
    """A warm-up freezes what is alive (as a worker's would); the test process collects it again after."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.django_db
def test_a_warmed_worker_has_its_connections_and_push_loop_ready(monkeypatch):
    monkeypatch.setattr(push, "_loop", None)
    connection.close()
    warmup.worker_warm()
    assert connection.connection is not None
    assert push._loop is not None and push._loop.is_running()
    # What lives as long as the worker is out of the collector's way: a full collection walks only the rest.
    assert gc.get_freeze_count() > 10_000


@pytest.mark.django_db
def test_a_failing_warm_up_step_is_logged_and_left_to_the_first_request(monkeypatch, caplog):
    def unreachable():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(warmup, "redis_client", unreachable)
    with caplog.at_level(logging.WARNING, logger="apps.core.warmup"):
        warmup.worker_warm()
    assert "worker warm-up: redis failed" in caplog.text
    assert push._loop is not None  # the steps after it still ran


def test_gunicorn_warms_each_worker_before_it_takes_requests():
    config: dict[str, object] = {}
    with open("deploy/gunicorn.conf.py") as source:
        exec(compile(source.read(), "deploy/gunicorn.conf.py", "exec"), config)
    assert callable(config["post_worker_init"])


@pytest.mark.django_db
def test_the_hot_paths_queries_are_compiled_ahead_and_none_is_run():
    from django.test.utils import CaptureQueriesContext

    from apps.core.compiled import compile_all
    from apps.matchmaking import selectors

    selectors._INVITATION_CHECKS._local.__dict__.pop("compiled", None)
    with CaptureQueriesContext(connection) as queries:
        compile_all()
    assert selectors._INVITATION_CHECKS._local.compiled
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("SELECT", "INSERT", "UPDATE"))]


def test_daphne_freezes_what_outlives_the_sockets_and_other_importers_do_not(monkeypatch):
    monkeypatch.delitem(sys.modules, "daphne.server", raising=False)
    asgi._freeze_what_outlives_sockets()
    assert gc.get_freeze_count() == 0  # a test process, a management command: nothing frozen
    monkeypatch.setitem(sys.modules, "daphne.server", object())  # as when Daphne imports the application
    asgi._freeze_what_outlives_sockets()
    assert gc.get_freeze_count() > 10_000
