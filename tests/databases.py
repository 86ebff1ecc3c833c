"""Test databases: migrated once per run and copied for each xdist worker; emptied cheaply after a test that
commits.

Under pytest-xdist:

Each worker of `make test` needs its own database (they run side by side). Migrating four of them costs four
times the migrations' CPU on a two-core machine; instead the first worker to get here migrates one (the
template, pytest-django's usual name for the test database) and every worker copies it with Django's own
cloning for parallel tests (mysqldump into a fresh database: tables, keys and the rows the migrations made).
A MariaDB named lock makes the others wait for the template, and a marker file holding a digest of every
migration (and Django's version) tells them whether the template on the server was made by the migrations
of this tree: then even the first worker of a run only copies it (a template made by other migrations is
migrated again).

After each transactional test (one that commits: sockets, servers, races), Django flushes every table and
then replays the post-migrate signal, which writes the content types and permissions again: about 280 ms
and 170 queries each time, on 230-odd tests. Those two tables are all the migrations fill and no test
changes them, so here they are kept and the rest is emptied (about 15 ms).
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import TransactionTestCase

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def _server_lock(name: str, timeout: int = 600) -> Iterator[None]:
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, %s)", [name, timeout])
        if cursor.fetchone()[0] != 1:
            raise RuntimeError(f"could not take the lock {name!r} in {timeout} s")
        try:
            yield
        finally:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [name])


def _use(name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = name


def migrations_digest() -> str:
    """What the template depends on: every migration file of the tree, and Django's version."""
    digest = hashlib.sha256(django.__version__.encode())
    for path in sorted(ROOT.glob("apps/*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _template_exists(name: str) -> bool:
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s", [name])
        return bool(cursor.fetchone()[0])


def worker_database(worker: str) -> list[tuple[Any, str, bool]]:
    """Make worker `worker`'s test database (`test_<name>_<worker>`) a copy of the migrated template and point
    the connection at it; returns what `django.test.utils.teardown_databases` takes to drop it."""
    original = connection.settings_dict["NAME"]
    template = connection.creation._get_test_db_name()
    marker = ROOT / "var" / f"{template}.migrations"
    digest = migrations_digest()
    with _server_lock(f"{template}-template"):
        if marker.exists() and marker.read_text() == digest and _template_exists(template):
            _use(template)
        else:
            marker.unlink(missing_ok=True)
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            marker.parent.mkdir(exist_ok=True)
            marker.write_text(digest)
    connection.creation.clone_test_db(suffix=worker, verbosity=0, autoclobber=True)
    _use(connection.creation.get_test_db_clone_settings(worker)["NAME"])
    return [(connection, original, True)]


# What the migrations write (and post_migrate would write again); every other table is emptied.
KEPT_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
_tables: dict[str, list[str]] = {}


def _empty_tables(test: TransactionTestCase) -> None:
    """`TransactionTestCase._fixture_teardown` without the post-migrate replay: every table but KEPT_TABLES
    emptied, in one transaction with foreign keys unchecked (as Django's flush does on MySQL)."""
    for alias in test._databases_names(include_mirrors=False):
        database = connections[alias]
        if alias not in _tables:
            names = database.introspection.django_table_names(only_existing=True, include_views=False)
            _tables[alias] = sorted(set(names) - KEPT_TABLES)
        with transaction.atomic(using=alias, savepoint=False), database.cursor() as cursor:
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for table in _tables[alias]:
                cursor.execute(f"DELETE FROM {database.ops.quote_name(table)}")
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")


def keep_reference_tables() -> None:
    TransactionTestCase._fixture_teardown = _empty_tables  # type: ignore[method-assign]
