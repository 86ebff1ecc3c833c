"""A deadlock victim's transaction runs again; anything else, or a victim inside a caller's transaction, does not."""

import pytest
from django.db import OperationalError, transaction

from apps.core.retry import MYSQL_DEADLOCK, retry_deadlocks


def _flaky(failures: list[Exception]):
    calls = []

    @retry_deadlocks
    def work() -> int:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return len(calls)

    return work, calls


def test_a_deadlock_victim_runs_again():
    work, calls = _flaky([OperationalError(MYSQL_DEADLOCK, "Deadlock found"), OperationalError(MYSQL_DEADLOCK, "x")])
    assert work() == 3 and len(calls) == 3


def test_other_errors_and_a_third_deadlock_go_up():
    work, _ = _flaky([OperationalError(2006, "gone away")])
    with pytest.raises(OperationalError):
        work()
    work, calls = _flaky([OperationalError(MYSQL_DEADLOCK, "d")] * 3)
    with pytest.raises(OperationalError):
        work()
    assert len(calls) == 3


@pytest.mark.django_db
def test_inside_a_callers_transaction_nothing_is_retried():
    work, calls = _flaky([OperationalError(MYSQL_DEADLOCK, "d")])
    with pytest.raises(OperationalError), transaction.atomic():
        work()
    assert len(calls) == 1
