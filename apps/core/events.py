"""The port through which services announce domain events to the outside (the AWS cleanup Lambdas).

Services call `event_publish` inside their transaction. Until the outbox lands (AWS issue) this port only
logs; the call sites and payloads are final.
"""

import logging
from typing import Any

logger = logging.getLogger(__name__)


def event_publish(event_type: str, payload: dict[str, Any]) -> None:
    logger.debug("domain event %s %s", event_type, payload)
