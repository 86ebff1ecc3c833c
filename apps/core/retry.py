"""Retrying a whole transaction that the database chose as a deadlock victim."""

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
MYSQL_DEADLOCK = 1213
ATTEMPTS = 3


def retry_deadlocks(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` again (up to three times in all) when MySQL rolled its transaction back as a deadlock
    victim. InnoDB has undone all of it, so a service that re-reads its rows under their locks can simply
    run again; inside a caller's own transaction nothing can be retried, and the error goes up as before."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                victim = error.args and error.args[0] == MYSQL_DEADLOCK
                if not victim or attempt == ATTEMPTS or connection.in_atomic_block:
                    raise
                logger.warning("%s was a deadlock victim; running it again", function.__name__)
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    return run
