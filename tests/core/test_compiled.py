"""A query compiled once gives, for any bound values, exactly the rows `.values()` gives."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.compiled import CompiledValues
from apps.reservations.models import Reservation
from tests.factories import HallFactory, PlayerFactory, TableFactory
from tests.helpers import book_directly

pytestmark = pytest.mark.django_db

FIELDS = ("id", "start_time", "duration", "status", "table__out_of_service", "table__hourly_rate")


def _plain(table_id: int, minutes: int):
    return list(
        Reservation.objects.filter(table_id=table_id, duration__gte=minutes).order_by("start_time").values(*FIELDS)
    )


def test_rows_match_the_orm_for_every_binding_and_convert_types() -> None:
    query = CompiledValues(
        lambda table_id, minutes: (
            Reservation.objects.filter(table_id=table_id, duration__gte=minutes).order_by("start_time").values(*FIELDS)
        ),
        table_id=-991,
        minutes=32_001,  # a marker must be a value the field accepts (PositiveSmallIntegerField)
    )
    hall, player = HallFactory(), PlayerFactory()
    tables = [TableFactory(hall=hall, number=1), TableFactory(hall=hall, number=2, out_of_service=True)]
    for index, table in enumerate(tables):
        for hours in (1, 3):
            book_directly(table, player, start=timezone.now() + timedelta(hours=hours + index), seconds=3600 * hours)
    for table in tables:
        for minutes in (0, 120, 500):
            rows = query(table_id=table.pk, minutes=minutes)
            assert rows == _plain(table.pk, minutes)
    rows = query(table_id=tables[1].pk, minutes=0)
    assert rows[0]["table__out_of_service"] is True  # MySQL's 1 converted as the ORM does
    assert rows[0]["start_time"].tzinfo is not None
    with CaptureQueriesContext(connection) as queries:
        query(table_id=tables[0].pk, minutes=0)
    assert len(queries) == 1


def test_a_marker_missing_from_the_query_is_refused() -> None:
    query = CompiledValues(lambda table_id: Reservation.objects.filter(pk__gt=0).values("id"), table_id=-993)
    with pytest.raises(ValueError, match="table_id"):
        query(table_id=1)


def test_a_query_with_a_parameter_that_is_not_a_marker_is_refused() -> None:
    query = CompiledValues(
        lambda table_id: Reservation.objects.filter(table_id=table_id, start_time__gte=timezone.now()).values("id"),
        table_id=-994,
    )
    with pytest.raises(ValueError, match="frozen"):
        query(table_id=1)


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_on_its_own_connection() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    query = CompiledValues(lambda table_id: Reservation.objects.filter(table_id=table_id).values("id"), table_id=-995)
    table = TableFactory()
    booked = book_directly(table, PlayerFactory(), start=timezone.now() + timedelta(hours=1))

    def in_a_thread() -> tuple[list[dict], object]:
        try:
            rows = query(table_id=table.pk)
            return rows, query._local.compiled["default"][4].connection
        finally:
            connections.close_all()

    here = query(table_id=table.pk)
    with ThreadPoolExecutor(max_workers=1) as pool:
        there, compiled_on = pool.submit(in_a_thread).result()
    assert here == there == [{"id": booked.pk}]
    assert compiled_on is not query._local.compiled["default"][4].connection
