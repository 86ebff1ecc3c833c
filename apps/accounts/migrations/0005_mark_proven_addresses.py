"""Existing accounts get the email_verified fact the reminders inferred before it was stored.

Before the field, an address counted as proven when the account was active and activation by the emailed
link was required (ACCOUNT_ACTIVATION_REQUIRED): such an account was activated by the link or by a Google
sign-in. So, with that setting on, every active account with an address is marked, and nobody's reminders
change on the day of the deploy. Whatever the setting, an account made by Google sign-in (it has no usable
password) had its address vouched for by Google. Inactive accounts never proved theirs.
"""

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations
from django.db.models import Q


def mark_proven_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    proven = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    if settings.ACCOUNT_ACTIVATION_REQUIRED:
        proven |= Q(is_active=True)
    User.objects.filter(proven, is_active=True).exclude(email="").update(email_verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_email_verified"),
    ]

    operations = [
        migrations.RunPython(mark_proven_addresses, migrations.RunPython.noop, elidable=True),
    ]
