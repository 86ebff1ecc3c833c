"""Push latency: an invitation sent over REST until the invitee's socket has the `invited` frame, with
1,000 other sockets connected and idle on the same Daphne. Baseline in the same run: a raw Redis
publish -> subscribe round trip (redis-py asyncio)."""

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_REDIS_URL,
    PROFILE,
    QUICK,
    access_token,
    bench_users,
    free_port,
    gunicorn_command,
    print_table,
    process,
    profiled,
    ratio,
    setup_django,
    summary,
)
from deploy.servers import daphne_command

IDLE = 1000
_REST_TIMES: list[float] = []
SAMPLES = 200 if QUICK else 1000


def _users() -> tuple[int, list[str]]:
    from apps.accounts.models import Player, User
    from apps.matchmaking.models import Invitation

    wanted = IDLE + SAMPLES + 1
    existing = User.objects.filter(username__startswith="bench-push-").count()
    if existing != wanted:
        User.objects.filter(username__startswith="bench-push-").delete()
        Player.objects.bulk_create((Player(user=user) for user in bench_users("bench-push-", wanted)), batch_size=2000)
    invitee = Player.objects.get(user__username="bench-push-0")
    Invitation.objects.filter(player_invited=invitee).delete()
    return invitee.pk, [f"bench-push-{n}" for n in range(1, wanted)]


def _tickets(usernames: list[str]) -> list[str]:
    from apps.accounts.models import User
    from apps.accounts.services import ws_ticket_issue

    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    return [ws_ticket_issue(user=users[name]) for name in usernames]


async def _redis_round_trips(count: int) -> list[float]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(BENCH_REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe("bench-round-trip")
    await pubsub.get_message(timeout=1)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await client.publish("bench-round-trip", "x")
        while (await pubsub.get_message(timeout=1)) is None:
            pass
        samples.append((time.perf_counter() - started) * 1000)
    await pubsub.aclose()
    await client.aclose()
    return samples


async def _measure(
    ws_base: str,
    web_base: str,
    invitee_id: int,
    idle_tickets: list[str],
    invitee_ticket: str,
    inviter_tokens: list[str],
) -> list[float]:
    import requests
    import websockets

    idle = []
    for ticket in idle_tickets:
        idle.append(await websockets.connect(f"{ws_base}/ws/base/?uuid={ticket}", ping_interval=None))
    invitee = await websockets.connect(f"{ws_base}/ws/base/?uuid={invitee_ticket}", ping_interval=None)
    await asyncio.sleep(1)
    session = requests.Session()
    samples, rest = [], []
    try:
        for token in inviter_tokens:
            started = time.perf_counter()
            response = await asyncio.to_thread(
                session.post,
                f"{web_base}/api/invitations/",
                json={"player": invitee_id},
                headers={"Authorization": f"JWT {token}"},
                timeout=10,
            )
            rest.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
            while True:
                frame = json.loads(await asyncio.wait_for(invitee.recv(), timeout=10))
                if frame.get("protocol") == "invited":
                    break
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        for socket in [*idle, invitee]:
            await socket.close()
    _REST_TIMES.extend(rest)
    return samples


def main() -> None:
    setup_django()
    invitee_id, usernames = _users()
    idle_names, inviter_names = usernames[:IDLE], usernames[IDLE:]
    tickets = _tickets([*idle_names, "bench-push-0"])
    tokens = [access_token(name) for name in inviter_names]
    web_port, asgi_port = free_port(), free_port()
    gunicorn = gunicorn_command(web_port)
    daphne = daphne_command(asgi_port)
    with process("gunicorn-push", gunicorn, web_port) as web, process("daphne-push", daphne, asgi_port):
        measure = _measure(
            f"ws://127.0.0.1:{asgi_port}", f"http://127.0.0.1:{web_port}", invitee_id, tickets[:-1], tickets[-1], tokens
        )
        if PROFILE:  # the pushes are measured while sampled: figures are then only for the profile
            with profiled("an invitation request", web.pid, 20):
                pushes = asyncio.run(measure)
        else:
            pushes = asyncio.run(measure)
    round_trips = asyncio.run(_redis_round_trips(len(pushes)))
    push, base = summary(pushes), summary(round_trips)
    rows = [
        (f"invite -> frame {stat}", f"{push[stat]:.1f} ms", f"{base[stat]:.2f} ms", ratio(push[stat], base[stat]))
        for stat in ("p50", "p99", "max")
    ]
    rest = summary(_REST_TIMES)
    rows += [(f"  of which the REST call {stat}", f"{rest[stat]:.1f} ms", "", "") for stat in ("p50", "p99")]
    print_table(f"Push latency: {len(pushes)} invitations over REST, {IDLE} idle sockets on the same Daphne", rows)


if __name__ == "__main__":
    main()
