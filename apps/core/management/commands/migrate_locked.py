"""`migrate` under a database-wide advisory lock, so that instances deploying at once take turns:
the first applies the migrations, the others then find nothing left to do."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

LOCK_NAME = "strikem-migrate"


class Command(BaseCommand):
    help = "Apply migrations once across many instances (MySQL GET_LOCK; plain migrate elsewhere)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument("--lock-timeout", type=int, default=600)

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "mysql":
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [LOCK_NAME, options["lock_timeout"]])
            if cursor.fetchone()[0] != 1:
                raise CommandError("Another instance holds the migration lock for too long.")
            try:
                call_command("migrate", interactive=False, verbosity=options["verbosity"])
            finally:
                cursor.execute("SELECT RELEASE_LOCK(%s)", [LOCK_NAME])
