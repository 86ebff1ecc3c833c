"""The mobile push port: SNS mobile push (a platform application per platform, an endpoint per device)
when SNS_PLATFORM_APPLICATION_ARNS names the applications, else a recorder that sends nothing.

The same AWS SDK and account as the outbox; no push SDK of Google's or Apple's. AWS_ENDPOINT_URL points
the client at moto's server in tests.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from apps.core.aws import sns_client

logger = logging.getLogger(__name__)

# What SNS answers when a device's endpoint is dead: disabled by the push service (the token was
# unregistered) or deleted.
_GONE = {"EndpointDisabled", "NotFound"}
_DUPLICATE = re.compile(r"Endpoint (arn:\S+) already exists")


class EndpointGone(Exception):
    """The push service says the device's endpoint is disabled or gone: its token is dead."""


class PlatformNotConfigured(LookupError):
    """No platform application is configured for the device's platform: it cannot be pushed to."""


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)


class MobilePushPort(Protocol):
    def endpoint_for(self, *, platform: str, token: str) -> str:
        """The endpoint of this device token, made if needed."""

    def send(self, *, endpoint_arn: str, message: PushMessage) -> str:
        """Push to one endpoint; the push service's message id. EndpointGone when the token is dead."""

    def endpoint_delete(self, *, endpoint_arn: str) -> None: ...


def _platform_payload(key: str, message: PushMessage) -> dict[str, Any]:
    """One platform's payload: FCM's HTTP v1 message under SNS's `GCM` key, APNs' `aps` dictionary."""
    if key == "GCM":
        return {
            "fcmV1Message": {
                "message": {
                    "notification": {"title": message.title, "body": message.body},
                    "data": message.data,
                    "android": {"priority": "high"},
                }
            }
        }
    return {"aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"}, **message.data}


class SnsMobilePush:
    def __init__(self, client: Any, applications: dict[str, str]) -> None:
        self.client = client
        self.applications = applications

    def endpoint_for(self, *, platform: str, token: str) -> str:
        application = self.applications.get(platform)
        if application is None:
            raise PlatformNotConfigured(platform)
        from botocore.exceptions import ClientError  # loaded with the client, not at start-up (apps/core/aws.py)

        try:
            response = self.client.create_platform_endpoint(PlatformApplicationArn=application, Token=token)
        except ClientError as error:
            # The token has an endpoint with other attributes (a disabled one): start it afresh.
            found = _DUPLICATE.search(str(error))
            if found is None:
                raise
            self.endpoint_delete(endpoint_arn=found.group(1))
            response = self.client.create_platform_endpoint(PlatformApplicationArn=application, Token=token)
        return str(response["EndpointArn"])

    def send(self, *, endpoint_arn: str, message: PushMessage) -> str:
        # The payload key is the platform the endpoint's application was made for (GCM, APNS,
        # APNS_SANDBOX): the segment after "endpoint/" in its ARN.
        key = endpoint_arn.split(":", 5)[-1].split("/")[1]
        body = {"default": message.body, key: json.dumps(_platform_payload(key, message))}
        from botocore.exceptions import ClientError

        try:
            response = self.client.publish(TargetArn=endpoint_arn, Message=json.dumps(body), MessageStructure="json")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _GONE:
                raise EndpointGone(endpoint_arn) from error
            raise
        return str(response["MessageId"])

    def endpoint_delete(self, *, endpoint_arn: str) -> None:
        self.client.delete_endpoint(EndpointArn=endpoint_arn)


class RecordingMobilePush:
    """Sends nothing: keeps what would have been pushed (this process only) and logs it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, PushMessage]] = []
        self.deleted: list[str] = []

    def endpoint_for(self, *, platform: str, token: str) -> str:
        return f"recorded:{platform}:{token[:16]}"

    def send(self, *, endpoint_arn: str, message: PushMessage) -> str:
        self.sent.append((endpoint_arn, message))
        logger.info("mobile push (recorded, not sent) to %s: %s", endpoint_arn, message.body)
        return f"recorded-{len(self.sent)}"

    def endpoint_delete(self, *, endpoint_arn: str) -> None:
        self.deleted.append(endpoint_arn)


RECORDER = RecordingMobilePush()


def mobile_push_port() -> MobilePushPort:
    """SNS when the platform applications are configured, else the recorder."""
    applications = settings.SNS_PLATFORM_APPLICATION_ARNS
    if not applications:
        return RECORDER
    return SnsMobilePush(sns_client(), dict(applications))
