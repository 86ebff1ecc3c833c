"""A real Celery worker process on the test database and the test Redis, for tests where timing matters."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database pytest-django created, so other processes see the same rows."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return (
        f"mysql://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 3306}"
        f"/{database['NAME']}"
    )


@contextmanager
def celery_worker(*extra_args: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "strikem.settings.test",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    log = open(ROOT / "var" / "test-celery-worker.log", "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "strikem",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "1",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if b"ready." in (ROOT / "var" / "test-celery-worker.log").read_bytes():
                break
            if process.poll() is not None:
                raise RuntimeError("the Celery worker exited at start; see var/test-celery-worker.log")
            time.sleep(0.2)
        else:
            raise RuntimeError("the Celery worker did not become ready; see var/test-celery-worker.log")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
