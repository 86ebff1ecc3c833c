"""EpochSeconds reads a date-time as the number of seconds Python's `timestamp()` gives, to the microsecond."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.accounts.models import Player
from apps.core.dbfunctions import EpochSeconds
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@settings(max_examples=40, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_the_database_gives_the_same_seconds_as_python(moment):
    player = PlayerFactory(looking_since=moment)
    seconds = Player.objects.filter(pk=player.pk).annotate(s=EpochSeconds("looking_since")).values_list("s", flat=True)
    assert seconds.get() == moment.timestamp()
    player.user.delete()


def test_null_stays_null_and_the_session_time_zone_does_not_count():
    with connection.cursor() as cursor:  # as a server configured for its own local time would be
        cursor.execute("SET time_zone = '+04:00'")
    nobody = PlayerFactory(looking_since=None)
    tbilisi = PlayerFactory(looking_since=datetime(2026, 12, 2, 12, 0, tzinfo=UTC) + timedelta(microseconds=7))
    seconds = dict(
        Player.objects.filter(pk__in=[nobody.pk, tbilisi.pk])
        .annotate(s=EpochSeconds("looking_since"))
        .values_list("pk", "s")
    )
    assert seconds[nobody.pk] is None
    assert seconds[tbilisi.pk] == 1_796_212_800.000007
    with connection.cursor() as cursor:
        cursor.execute("SET time_zone = '+00:00'")
