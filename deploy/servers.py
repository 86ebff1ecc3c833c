"""Command lines of the app's servers as deployed, for the tests and benchmarks that start real ones."""

import sys


def gunicorn_command(port: int, *extra: str) -> list[str]:
    """Gunicorn with the production config (deploy/gunicorn.conf.py) serving strikem.wsgi on a loopback port."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "strikem.wsgi:application",
        "--config",
        "deploy/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        *extra,
    ]


# Daphne's options in deploy/entrypoint.sh (tests/deploy/test_servers.py keeps the two the same). A ping every
# 60 s, answered within 30, finds a dead peer within about 90 s, as 30 + 60 did, at half the pings: each costs
# the process a frame sent and a pong read per socket. The load balancer and nginx let a socket idle for 1 h.
DAPHNE_OPTIONS = (
    "--proxy-headers",
    "--ping-interval",
    "60",
    "--ping-timeout",
    "30",
    "--websocket_connect_timeout",
    "30",
)


def daphne_command(port: int, application: str = "strikem.asgi:application") -> list[str]:
    """Daphne with the deployed options serving `application` on a loopback port."""
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_OPTIONS, application]
