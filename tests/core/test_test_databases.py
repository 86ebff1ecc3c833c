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
