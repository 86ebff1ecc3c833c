"""Transactions on our MySQL backend: begun by START TRANSACTION, no autocommit switches, same outcome."""

import pytest
from django.db import connection, transaction

from apps.accounts.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _status() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS WHERE Variable_name IN ('Com_set_option', 'Com_begin', 'Com_commit')")
        return {name: int(value) for name, value in cursor.fetchall()}


def _server_autocommit() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@autocommit")
        return cursor.fetchone()[0]


def test_a_transaction_is_begun_and_committed_without_switching_autocommit():
    player = PlayerFactory()
    before = _status()
    with transaction.atomic():
        Player.objects.select_for_update().get(pk=player.pk)
        Player.objects.filter(pk=player.pk).update(rating=1600)
    after = _status()
    # SHOW STATUS itself counts nothing of these three; Django's own backend would add two SET autocommit.
    assert {name: after[name] - before[name] for name in after} == {
        "Com_set_option": 0,
        "Com_begin": 1,
        "Com_commit": 1,
    }
    assert _server_autocommit() == 1 and connection.get_autocommit()
    assert Player.objects.get(pk=player.pk).rating == 1600


def test_a_failed_transaction_rolls_back_and_a_savepoint_alone_where_asked():
    player = PlayerFactory(rating=1500)
    with pytest.raises(RuntimeError), transaction.atomic():
        Player.objects.filter(pk=player.pk).update(rating=1700)
        raise RuntimeError("the service refused")
    assert Player.objects.get(pk=player.pk).rating == 1500
    with transaction.atomic():
        Player.objects.filter(pk=player.pk).update(rating=1550)
        with pytest.raises(RuntimeError), transaction.atomic():
            Player.objects.filter(pk=player.pk).update(rating=1800)
            raise RuntimeError("the inner step refused")
    assert Player.objects.get(pk=player.pk).rating == 1550
    # Outside a transaction each statement commits by itself, as before.
    assert _server_autocommit() == 1
    Player.objects.filter(pk=player.pk).update(rating=1560)
    connection.close()
    assert Player.objects.get(pk=player.pk).rating == 1560


def test_autocommit_turned_off_by_hand_is_djangos_as_before():
    player = PlayerFactory(rating=1500)
    transaction.set_autocommit(False)
    try:
        assert _server_autocommit() == 0
        Player.objects.filter(pk=player.pk).update(rating=1650)
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    assert _server_autocommit() == 1
    assert Player.objects.get(pk=player.pk).rating == 1500
