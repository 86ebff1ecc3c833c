"""The suite's own database handling (tests/databases.py): what a committing test leaves is emptied, and the
content types and permissions the migrations wrote stay as they were."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import TransactionTestCase

from apps.halls.models import PoolHouse
from tests.databases import KEPT_TABLES, _empty_tables
from tests.factories import HallFactory, PlayerFactory


class _Committing(TransactionTestCase):
    __test__ = False  # a stand-in for pytest-django's test case, not a test
    databases = {"default"}

    def runTest(self) -> None:
        pass


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_after_a_committing_test_every_table_is_empty_but_the_migrations_reference_rows() -> None:
    HallFactory()
    PlayerFactory()
    group = Group.objects.create(name="desk")
    group.permissions.add(Permission.objects.get(codename="change_poolhouse"))
    types, permissions = ContentType.objects.count(), Permission.objects.count()
    assert types > 10 and permissions > 40
    before = _counts()
    assert {"halls_poolhouse", "accounts_user", "auth_group", "auth_group_permissions"} <= {
        table for table, count in before.items() if count
    }

    _empty_tables(_Committing())

    after = _counts()
    assert {table for table, count in after.items() if count} == KEPT_TABLES - {"django_migrations"}
    assert ContentType.objects.count() == types and Permission.objects.count() == permissions
    assert ContentType.objects.get_for_model(PoolHouse).model == "poolhouse"


def test_the_template_is_kept_only_for_the_same_migrations(tmp_path, monkeypatch) -> None:
    """The migrated template is reused by later runs while the digest of the migrations is the same; a new or
    changed migration, or another Django, gives another digest, and the template is migrated again."""
    import django

    from tests import databases

    monkeypatch.setattr(databases, "ROOT", tmp_path)
    folder = tmp_path / "apps" / "halls" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_initial.py").write_text("operations = []\n")
    first = databases.migrations_digest()
    assert databases.migrations_digest() == first
    (folder / "0002_more.py").write_text("operations = []\n")
    second = databases.migrations_digest()
    (folder / "0002_more.py").write_text("operations = ['changed']\n")
    third = databases.migrations_digest()
    monkeypatch.setattr(django, "__version__", "0.0")
    assert len({first, second, third, databases.migrations_digest()}) == 4
