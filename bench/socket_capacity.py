"""Socket capacity: authenticated idle sockets on one Daphne process, memory per socket and CPU while
idle, beside a bare Channels consumer on the same Daphne/channels-redis setup measured in the same run."""

import asyncio
import os
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PROFILE, QUICK, bench_users, free_port, print_table, process, profiled, ratio, setup_django
from deploy.servers import daphne_command

SOCKETS = 2000 if QUICK else 10_000
# A whole ping interval (deploy/servers.py) in both modes: a shorter window holds all of the pings or none.
IDLE_SECONDS = 60
# The web client is a browser: it answers Daphne's pings but sends none. SOCKET_CLIENT_PING_SECONDS=20 makes
# every client ping as the websockets library does by default (and as this bench did until issue 18).
CLIENT_PING_SECONDS = float(os.environ.get("SOCKET_CLIENT_PING_SECONDS", 0)) or None


def _tickets() -> list[str]:
    from apps.accounts.models import Player, User
    from apps.accounts.services import ws_ticket_issue

    if User.objects.filter(username__startswith="bench-cap-").count() != SOCKETS:
        User.objects.filter(username__startswith="bench-cap-").delete()
        Player.objects.bulk_create((Player(user=user) for user in bench_users("bench-cap-", SOCKETS)), batch_size=2000)
    return [ws_ticket_issue(user=user) for user in User.objects.filter(username__startswith="bench-cap-")]


async def _hold(url: str, tickets: list[str] | None, pid: int, name: str) -> dict[str, float]:
    import websockets

    server = psutil.Process(pid)
    before = server.memory_info().rss
    sockets = []
    semaphore = asyncio.Semaphore(64)  # Daphne drops a handshake the app has not accepted within 5 s

    failures: list[str] = []

    async def open_one(index: int) -> None:
        query = f"?uuid={tickets[index]}" if tickets else ""
        async with semaphore:
            try:
                sockets.append(
                    await websockets.connect(
                        f"{url}/ws/base/{query}", open_timeout=60, max_queue=4, ping_interval=CLIENT_PING_SECONDS
                    )
                )
            except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
                failures.append(type(error).__name__)

    started = time.monotonic()
    await asyncio.gather(*(open_one(i) for i in range(SOCKETS)))
    opened_in = time.monotonic() - started
    await asyncio.sleep(5)
    cpu_before = sum(server.cpu_times()[:2])
    await asyncio.sleep(IDLE_SECONDS)
    cpu_idle = (sum(server.cpu_times()[:2]) - cpu_before) / IDLE_SECONDS * 100
    after = server.memory_info().rss
    alive = sum(1 for socket in sockets if socket.state.name == "OPEN")
    if PROFILE:  # an extra idle window, sampled, after the measured one
        with profiled(f"{name} idle", pid, IDLE_SECONDS):
            await asyncio.sleep(IDLE_SECONDS)
    for socket in sockets:
        await socket.close()
    return {
        "rss_mb": after / 2**20,
        "per_socket_kb": (after - before) / max(1, len(sockets)) / 1024,
        "cpu": cpu_idle,
        "alive": alive,
        "opened_in": opened_in,
        "failed": len(failures),
    }


def _run(app: str, tickets: list[str] | None, name: str) -> dict[str, float]:
    port = free_port()
    with process(name, daphne_command(port, app), port) as server:
        return asyncio.run(_hold(f"ws://127.0.0.1:{port}", tickets, server.pid, name))


def main() -> None:
    setup_django()
    tickets = _tickets()
    real = _run("strikem.asgi:application", tickets, "daphne-capacity")
    bare = _run("bench.bare_asgi:application", None, "daphne-bare")
    rows = [
        ("sockets held", f"{real['alive']:.0f}", f"{bare['alive']:.0f}", ""),
        ("handshakes failed", f"{real['failed']:.0f}", f"{bare['failed']:.0f}", ""),
        ("Daphne RSS", f"{real['rss_mb']:.0f} MB", f"{bare['rss_mb']:.0f} MB", ratio(real["rss_mb"], bare["rss_mb"])),
        (
            "RSS per socket",
            f"{real['per_socket_kb']:.1f} KB",
            f"{bare['per_socket_kb']:.1f} KB",
            ratio(real["per_socket_kb"], bare["per_socket_kb"]),
        ),
        (
            f"CPU while idle ({IDLE_SECONDS} s)",
            f"{real['cpu']:.1f}% of a core",
            f"{bare['cpu']:.1f}% of a core",
            ratio(real["cpu"], bare["cpu"]),
        ),
        ("time to open all", f"{real['opened_in']:.1f} s", f"{bare['opened_in']:.1f} s", ""),
    ]
    print_table(f"Socket capacity: {SOCKETS} authenticated idle sockets on one Daphne", rows)


if __name__ == "__main__":
    main()
