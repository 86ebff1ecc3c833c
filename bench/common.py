"""Shared plumbing of the benchmarks: a bench database, real processes, percentiles, the result table.

Benchmarks run on loopback against the machine's MariaDB and Redis (DATABASE_URL / REDIS_URL, defaults
below), start the server processes they measure, stop them whatever happens, and print figures beside
a baseline measured in the same run.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import time as clock
from pathlib import Path
from typing import Any

from deploy.servers import gunicorn_command as deployed_gunicorn

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/strikem_bench")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
QUICK = os.environ.get("BENCH_MODE", "quick") != "full"
# BENCH_PROFILE=1: benchmarks that support it sample their server with py-spy in an extra pass.
PROFILE = os.environ.get("BENCH_PROFILE") == "1"


def bench_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "strikem.settings.base",
        "DEBUG": "false",
        "DATABASE_URL": BENCH_DATABASE_URL,
        "REDIS_URL": BENCH_REDIS_URL,
        "CACHE_KEY_PREFIX": "strikem-bench",
        "CHANNEL_PREFIX": "asgi-bench",
        "ACCOUNT_ACTIVATION_REQUIRED": "false",
        # Benchmarks issue thousands of socket tickets up front; opening them all takes longer than 30 s.
        "WS_TICKET_TTL_SECONDS": "900",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def setup_django() -> None:
    """Point this process at the bench database, create it if needed, migrate, and start Django."""
    os.environ.update(bench_env())
    sys.path.insert(0, str(ROOT))
    import MySQLdb

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    server = MySQLdb.connect(host="127.0.0.1", user="root", port=3306)
    server.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    server.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    import redis

    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()


def bench_users(prefix: str, count: int) -> list[Any]:
    """`count` fresh users named `{prefix}{n}` (n from 0), made in bulk with a password nobody uses,
    returned in n order. The caller removes older ones first where a run must start clean."""
    from django.contrib.auth.hashers import make_password

    from apps.accounts.models import User

    password = make_password("bench-password-not-used")
    User.objects.bulk_create(
        (User(username=f"{prefix}{n}", email=f"{prefix}{n}@bench.local", password=password) for n in range(count)),
        batch_size=2000,
    )
    by_name = {user.username: user for user in User.objects.filter(username__startswith=prefix)}
    return [by_name[f"{prefix}{n}"] for n in range(count)]


def bench_hall(slug: str, **fields: Any) -> Any:
    """A hall open round the clock in UTC, replacing an older one of the same slug; `fields` override."""
    from apps.halls.models import PoolHouse

    PoolHouse.objects.filter(slug=slug).delete()
    defaults = {"title": slug, "address": "loopback", "latitude": 0, "longitude": 0, "time_zone": "UTC"}
    return PoolHouse.objects.create(slug=slug, open_time=clock(0), close_time=clock(0), **{**defaults, **fields})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def process(name: str, command: Sequence[str], ready: str | int, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start a process; `ready` is a log line fragment or a TCP port to wait for. Always stopped."""
    (ROOT / "var").mkdir(exist_ok=True)
    log_path = ROOT / "var" / f"bench-{name}.log"
    with open(log_path, "wb") as log:
        child = subprocess.Popen(list(command), cwd=ROOT, env=bench_env(**env), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if child.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {log_path}")
                if isinstance(ready, int):
                    with socket.socket() as probe:
                        if probe.connect_ex(("127.0.0.1", ready)) == 0:
                            break
                elif ready.encode() in log_path.read_bytes():
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"{name} did not become ready; see {log_path}")
            yield child
        finally:
            if child.poll() is None:
                child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.50),
        "p99": percentile(values, 0.99),
        "max": max(values) if values else float("nan"),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def print_table(title: str, rows: Sequence[tuple[str, str, str, str]]) -> None:
    """Rows of (figure, measured, baseline, ratio)."""
    header = ("figure", "measured", "baseline (same run)", "ratio")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
    print(f"\n{title}  [{os.cpu_count()} cores, {'quick' if QUICK else 'full'} mode]")
    for row in [header, *rows]:
        print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def ratio(measured: float, baseline: float) -> str:
    return f"{measured / baseline:.2f}x" if baseline else "n/a"


def _to_ms(text: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    for unit in ("us", "ms", "s", "m"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return float(text)


def wrk(
    url: str, *, seconds: int, connections: int = 32, threads: int = 2, headers: dict[str, str] | None = None
) -> dict[str, float]:
    """Load `url` with wrk (a well-kept HTTP load tool) and return req/s, p50 and p99 in ms, errors."""
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures = {"errors": 0.0}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            figures["p" + parts[0].rstrip("%")] = _to_ms(parts[1])
        elif "Non-2xx or 3xx responses:" in line:
            figures["errors"] += float(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            figures["errors"] += sum(float(p.rstrip(",")) for p in parts if p.rstrip(",").isdigit())
    return figures


def access_token(username: str) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.accounts.models import User

    return str(AccessToken.for_user(User.objects.get(username=username)))


def gunicorn_command(port: int) -> list[str]:
    """Gunicorn as deployed (deploy/gunicorn.conf.py), without access logs, on a loopback port."""
    return deployed_gunicorn(port, "--access-logfile", "/dev/null")


@contextmanager
def profiled(name: str, pid: int, seconds: int) -> Iterator[None]:
    """Sample `pid` and its children with py-spy while the body runs, then print the functions present
    in the largest share of samples (inclusive), and keep the raw stacks in var/."""
    output = ROOT / "var" / f"profile-{name}.txt"
    py_spy = str(Path(sys.executable).parent / "py-spy")
    command = [py_spy, "record", "--subprocesses", "--gil", "--nonblocking", "--format", "raw", "-r", "250"]
    sampler = subprocess.Popen(
        [*command, "-d", str(seconds), "-o", str(output), "-p", str(pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        sampler.wait(timeout=seconds + 30)
    print_profile(output, title=f"py-spy: where {name} spends its time")


def print_profile(path: Path, *, title: str, top: int = 18) -> None:
    """Inclusive share of the samples per function (a function counts once per stack), busiest first,
    leaving out the server's own outer frames (Gunicorn's loop, Django's handler and middleware chain)."""
    totals: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = {frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0] + ")" for frame in stack.split(";")}
        for frame in frames:
            totals[frame] = totals.get(frame, 0) + count
    if not samples:
        print(f"\n{title}: no samples")
        return
    print(f"\n{title} ({samples} samples while holding the GIL, i.e. CPU in Python)")
    outer = ("process ", "(gunicorn/", "(<frozen", "(django/core/handlers", "(django/utils/deprecation", "(threading")
    inner = [(count, frame) for frame, count in totals.items() if not any(part in frame for part in outer)]
    for count, frame in sorted(inner, reverse=True)[:top]:
        print(f"  {100 * count / samples:5.1f}%  {frame}")
