"""`make run`'s process supervisor: quiet Celery by default, a clear word when a process dies."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.core.management import CommandError, call_command

from apps.core.management.commands.runstack import celery_commands, death_message
from tests.processes import ROOT, free_port, process_env


def test_celery_logs_warnings_only_unless_verbose_is_asked_for():
    quiet = celery_commands("python", Path("/tmp"), verbose=False)
    verbose = celery_commands("python", Path("/tmp"), verbose=True)
    for name in ("worker", "beat"):
        assert "--quiet" in quiet[name] and quiet[name][quiet[name].index("-l") + 1] == "warning"
        assert "--quiet" not in verbose[name] and verbose[name][verbose[name].index("-l") + 1] == "info"


def test_the_death_message_names_the_process_and_what_to_do():
    message = death_message("worker", -9)
    assert "worker, the Celery worker" in message and "killed by signal 9" in message
    assert "make run" in message and "systemd" in message
    assert "exited with code 3" in death_message("beat", 3)
    assert "var/redis.log" in death_message("redis", 1, redis_log=Path("var/redis.log"))


def test_a_busy_port_is_refused_with_a_hint():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"Port {port} is already in use.*PORT={port + 1} make run"):
            call_command("runstack", port=port, host="127.0.0.1")


def _wait_for(condition, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds} s; runstack said:\n{log.read_text()}")


@pytest.mark.django_db(transaction=True)
def test_killing_daphne_stops_the_whole_stack_and_says_so(tmp_path):
    port = free_port()
    # Base settings without REDIS_URL, as `make run` has them: the stack starts its embedded Redis.
    env = process_env(DJANGO_SETTINGS_MODULE="strikem.settings.base")
    env.pop("REDIS_URL")
    env.pop("RUN_VERBOSE", None)
    log = tmp_path / "runstack.log"
    with log.open("wb") as out:
        stack = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        supervisor = psutil.Process(stack.pid)

        def children() -> dict[str, psutil.Process]:
            found = {}
            for child in supervisor.children():
                command = " ".join(child.cmdline())
                for name, marker in (("web", "daphne"), ("worker", " worker "), ("beat", " beat "), ("redis", "redis")):
                    if marker in command:
                        found[name] = child
            return found

        _wait_for(lambda: len(children()) == 4, 60, "redis, web, worker and beat running", log)
        _wait_for(lambda: "Strikem is up" in log.read_text(), 30, "the banner", log)
        started = children()
        for name in ("worker", "beat"):
            command = started[name].cmdline()
            assert "--quiet" in command and command[command.index("-l") + 1] == "warning"
        assert "/staff/halls/" in log.read_text()

        started["web"].send_signal(signal.SIGKILL)
        assert stack.wait(timeout=30) == 1
        _gone, alive = psutil.wait_procs(list(started.values()), timeout=5)
        assert not alive  # nothing is left running
    finally:
        if stack.poll() is None:
            stack.terminate()
            stack.wait(timeout=30)
    text = log.read_text()
    assert "The stack stopped: web, Daphne (REST, WebSocket, admin), was killed by signal 9" in text
    assert "run `make run` again" in text
    assert text.rstrip().endswith("(deploy/systemd).")  # the last thing the console shows
