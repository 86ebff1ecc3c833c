"""Outgoing account emails. Callers send them after commit, so a rolled-back change mails nothing."""

from django.conf import settings
from django.core.mail import send_mail

from apps.accounts.models import User


def send_activation_email(*, user: User, uid: str, token: str) -> None:
    link = f"{settings.FRONTEND_URL.rstrip('/')}/activate/{uid}/{token}"
    send_mail(
        subject="Activate your Strikem account",
        message=f"Hi {user.username},\n\nOpen this link to activate your account:\n{link}\n",
        from_email=None,
        recipient_list=[user.email],
    )


def send_code_email(*, user: User, code: str) -> None:
    minutes = settings.VERIFICATION_CODE_TTL_MINUTES
    send_mail(
        subject="Your Strikem code",
        message=f"Hi {user.username},\n\nYour code is {code}. It expires in {minutes} minutes.\n",
        from_email=None,
        recipient_list=[user.email],
    )
