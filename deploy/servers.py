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
