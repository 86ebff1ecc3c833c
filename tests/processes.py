"""Real server processes (Celery worker, Daphne, Gunicorn) on the test database and the test Redis.

Each is a context manager that starts the process, waits until it serves, and always stops it. Under xdist
a process gets the database and Redis database of the worker that starts it (strikem/settings/test.py), and
its log and files under var/ carry the worker's name (`var_path`).
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from deploy.servers import gunicorn_command

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database pytest-django created, so other processes see the same rows."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database["HOST"] or "127.0.0.1"
    return f"mysql://{database['USER']}{password}@{host}:{database['PORT'] or 3306}/{database['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def var_path(name: str) -> Path:
    """`var/<name>`, or `var/<name>-gw1` (before any suffix) in xdist worker gw1: the workers run side by side,
    and two servers writing one log, nginx prefix or beat schedule would mix them up."""
    path = Path(name)
    if settings.TEST_WORKER:
        path = path.with_name(f"{path.stem}-{settings.TEST_WORKER}{path.suffix}")
    (ROOT / "var").mkdir(exist_ok=True)
    return ROOT / "var" / path


def log_path(name: str) -> Path:
    """Where the process called `name` logs: var/test-<name>.log (with the worker's name under xdist)."""
    return var_path(f"test-{name}.log")


def process_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "strikem.settings.test",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until(ready, process: subprocess.Popen[bytes], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start; see {log_path(what)}")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready; see {log_path(what)}")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def _process(command: list[str], name: str, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    if os.environ.get("STRIKEM_TEST_CLOCK_OFFSET"):
        # Real servers and workers keep the machine's clock (Celery's timers misfire under a patched
        # one), so a pinned-clock run (`make test-clocks`) covers what runs in the test process only.
        pytest.skip("real processes run on the machine's clock")
    with open(log_path(name), "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=process_env(**env), stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            _stop(process)


@contextmanager
def daphne_server(name: str = "daphne", port: int | None = None, env: dict[str, str] | None = None) -> Iterator[str]:
    """Daphne serving strikem.asgi (HTTP and WebSocket) on a loopback port; yields its base URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "strikem.asgi:application"]
    with _process(command, name, **(env or {})) as process:
        _wait_until(lambda: _listening(port), process, name)
        yield f"http://127.0.0.1:{port}"


@contextmanager
def celery_worker(
    *extra_args: str, name: str = "celery-worker", env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    command = [
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
        "-n",
        f"{name}@%h",
        *extra_args,
    ]
    with _process(command, name, **(env or {})) as process:
        _wait_until(lambda: b"ready." in log_path(name).read_bytes(), process, name)
        yield process


@contextmanager
def gunicorn_server(name: str = "gunicorn", workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Gunicorn with the production config (fewer workers) serving strikem.wsgi; yields its base URL."""
    port = free_port()
    command = gunicorn_command(port, "--workers", str(workers))
    with _process(command, name, **(env or {})) as process:
        _wait_until(lambda: _listening(port), process, name)
        yield f"http://127.0.0.1:{port}"


@contextmanager
def celery_beat(name: str = "celery-beat", env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    schedule = var_path(f"test-{name}-schedule")
    command = [sys.executable, "-m", "celery", "-A", "strikem", "beat", "-l", "info", "--schedule", str(schedule)]
    with _process(command, name, **(env or {})) as process:
        _wait_until(lambda: b"beat: Starting" in log_path(name).read_bytes(), process, name)
        yield process


@contextmanager
def nginx_server(web: list[str], asgi: list[str], name: str = "nginx") -> Iterator[str]:
    """nginx with the project's real config template in front of the given upstreams."""
    sys.path.insert(0, str(ROOT))
    from deploy.render_nginx import render

    port = free_port()
    prefix = var_path(f"test-{name}")
    config = render(
        output=prefix,
        web=[url.removeprefix("http://") for url in web],
        asgi=[url.removeprefix("http://") for url in asgi],
        listen=f"127.0.0.1:{port}",
        static=str(ROOT / "var" / "static"),
        media=str(settings.MEDIA_ROOT),
    )
    with _process(["nginx", "-p", str(prefix), "-c", str(config), "-g", "daemon off;"], name) as process:
        _wait_until(lambda: _listening(port), process, name)
        yield f"http://127.0.0.1:{port}"


class Restartable:
    """A server of our own on a loopback port (a private Redis or MariaDB) that a fault test can stop
    and start again, leaving the machine's shared services alone."""

    def __init__(self, name: str, command: list[str], port: int) -> None:
        self.name, self.command, self.port = name, command, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(log_path(self.name), "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        _wait_until(lambda: _listening(self.port), self.process, self.name)

    def stop(self, *, kill: bool = False) -> None:
        """A clean shutdown (what a restart does), or SIGKILL."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
            self.process.wait()
        else:
            _stop(self.process)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def private_redis(name: str = "redis-private") -> Iterator[Restartable]:
    """A Redis of this test's own (nothing kept on disk, like the machine's); `.port` is where it listens."""
    port = free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    server = Restartable(name, command, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def private_mariadb(folder: Path, name: str = "mariadb-private") -> Iterator[Restartable]:
    """A MariaDB of this test's own: a fresh data directory under `folder`, database `strikem`, migrated."""
    data = folder / "data"
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    command = [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        f"--datadir={data}",
        "--user=root",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        f"--socket={folder / 'mariadb.sock'}",
        f"--pid-file={folder / 'mariadb.pid'}",
        "--skip-log-bin",
        "--innodb-buffer-pool-size=64M",
    ]
    server = Restartable(name, command, port)
    server.start()
    try:
        subprocess.run(
            ["mariadb", "-uroot", "-h127.0.0.1", f"-P{port}", "-e", "CREATE DATABASE strikem CHARACTER SET utf8mb4"],
            check=True,
        )
        migrate = [sys.executable, "manage.py", "migrate", "--noinput"]
        env = process_env(DATABASE_URL=f"mysql://root@127.0.0.1:{port}/strikem")
        subprocess.run(migrate, cwd=ROOT, env=env, check=True, capture_output=True)
        yield server
    finally:
        server.stop()
