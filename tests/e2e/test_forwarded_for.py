"""The login throttle against a client that forges X-Forwarded-For, with and without nginx in front
(real Gunicorn, real nginx). The client connects from 127.0.0.2, so neither nginx nor the app trusts it."""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from apps.core.redis import redis_client
from tests.processes import gunicorn_server, nginx_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

ATTEMPTS = 8


def _forged_logins(base: str) -> list[int]:
    url = urlsplit(base)
    codes = []
    for attempt in range(ATTEMPTS):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10, source_address=("127.0.0.2", 0))
        body = json.dumps({"username": "nobody", "password": "wrong"})
        headers = {"Content-Type": "application/json", "X-Forwarded-For": f"203.0.113.{attempt}"}
        connection.request("POST", "/auth/jwt/create", body=body, headers=headers)
        codes.append(connection.getresponse().status)
        connection.close()
    return codes


def test_forged_forwarded_for_is_throttled_behind_nginx_and_without_it():
    env = {"THROTTLE_LOGIN": "5/min", "TRUSTED_PROXIES": "127.0.0.1"}
    with gunicorn_server("gunicorn-xff", workers=1, env=env) as web:
        assert _forged_logins(web) == [401] * 5 + [429] * 3
        redis_client().flushdb()
        with nginx_server(web=[web], asgi=[web], name="nginx-xff") as front:
            assert _forged_logins(front) == [401] * 5 + [429] * 3
