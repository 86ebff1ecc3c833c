"""The SNS client the outbox and mobile push share.

Built on first use, not at import: the AWS SDK is a good part of a process's start-up, and most processes
(a web worker that never publishes, a test server) never need it. One client per endpoint and region, kept
(boto3 clients are thread-safe); AWS_ENDPOINT_URL points it at moto's server in tests.
"""

from functools import lru_cache
from typing import Any

from django.conf import settings


@lru_cache(maxsize=4)
def _sns(endpoint: str | None, region: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client("sns", endpoint_url=endpoint, region_name=region, config=config)


def sns_client() -> Any:
    return _sns(settings.AWS_ENDPOINT_URL or None, settings.AWS_REGION or "eu-central-1")


def clear_clients() -> None:
    """Forget the kept clients (a test that moved the endpoint, or restarted the server behind it)."""
    _sns.cache_clear()
