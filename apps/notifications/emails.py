"""Outgoing notification emails. Callers send them after commit, so a rolled-back change mails nothing."""

import logging

from django.core.mail import send_mail

logger = logging.getLogger(__name__)


def send_game_reminder(*, addresses: list[str], body: str) -> None:
    """One email per address (players never see each other's address). A mail failure is logged: the
    reminder is stored and pushed already, and sending it again would remind the others twice."""
    for address in addresses:
        try:
            send_mail(subject="Your game starts soon", message=f"{body}\n", from_email=None, recipient_list=[address])
        except Exception:
            logger.warning("reminder email to a player failed", exc_info=True)
