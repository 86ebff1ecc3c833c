"""`.values()` queries compiled once per process: for the hot read paths, where the ORM's building and
compiling of the same query on every request was the largest share of the CPU (py-spy, bench/).

A query is written as a normal queryset with marker values in place of its parameters; the first call
compiles it (for the database alias the router picks) and remembers where each marker sits in the
parameter list. Later calls only put the real values in those places, execute, and convert the rows with
the ORM's own converters, so the rows are exactly what `.values()` would give.

Every parameter of the query must be a marker, or one of the `constants` the caller declares (a status, a
flag): any other parameter (a value computed when the query is built, such as `timezone.now()`) is
refused, since it would be frozen at its first value. A datetime marker is found, and bound, in the form
the database backend adapts datetimes to. The compiled form (and the converters, which belong to a
connection) is kept per thread and per database alias, as Django keeps connections: Daphne's database
threads each compile their own.
"""

import threading
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import QuerySet

_EVERY: "weakref.WeakSet[CompiledValues]" = weakref.WeakSet()


def compile_all() -> None:
    """Compile every query declared so far for this thread, executing none (a worker's warm-up,
    apps/core/warmup.py): the first compilation of a query costs milliseconds. Inside a transaction, so
    that locking reads compile as they do in their services."""
    for query in list(_EVERY):
        with transaction.atomic():
            query._entry()


class CompiledValues:
    def __init__(self, build: Callable[..., QuerySet[Any]], *, constants: tuple[Any, ...] = (), **markers: Any) -> None:
        """`build(**markers)` returns the `.values()` queryset (or a union of them); every marker is a value
        that appears in the query's parameters exactly where that argument goes (and nowhere else). It must
        be a value the field accepts: the ORM drops a comparison with an out-of-range number, and then the
        marker is missing. `constants`: parameter values the query may keep as they are (never a marker's)."""
        self._build = build
        self._markers = markers
        self._constants = constants
        self._local = threading.local()  # .compiled: {alias: entry}, for this thread's connections
        self._model: Any = None
        _EVERY.add(self)

    def _entry(self) -> tuple[str, tuple[str, list[Any], dict[str, list[int]], list[str], Any, Any, set[str], Any]]:
        compiled: dict[str, Any] = self._local.__dict__.setdefault("compiled", {})
        alias = router.db_for_read(self._model) if self._model is not None else None
        entry = compiled.get(alias) if alias is not None else None
        if entry is not None and alias is not None:
            return alias, entry
        queryset = self._build(**self._markers)
        alias = queryset.db
        query = queryset.query
        compiler = query.get_compiler(alias)
        sql, params = compiler.as_sql()
        adapt = connections[alias].ops.adapt_datetimefield_value
        dated = {name for name, marker in self._markers.items() if isinstance(marker, datetime)}
        found = {name: adapt(marker) if name in dated else marker for name, marker in self._markers.items()}
        places = {name: [i for i, p in enumerate(params) if p == marker] for name, marker in found.items()}
        missing = [name for name, found in places.items() if not found]
        if missing:
            raise ValueError(f"markers not found in the compiled query: {missing}")
        marked = {index for indexes in places.values() for index in indexes}
        frozen = [params[i] for i in range(len(params)) if i not in marked and params[i] not in self._constants]
        if frozen:
            raise ValueError(f"parameters that are not markers would be frozen at their first value: {frozen}")
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        converters = compiler.get_converters([s[0] for s in compiler.select[0 : compiler.col_count]])
        entry = (sql, list(params), places, names, compiler, converters, dated, adapt)
        compiled[alias] = entry
        self._model = queryset.model
        return alias, entry

    def __call__(self, **values: Any) -> list[dict[str, Any]]:
        alias, (sql, params, places, names, compiler, converters, dated, adapt) = self._entry()
        bound = list(params)
        for name, indexes in places.items():
            value = adapt(values[name]) if name in dated else values[name]
            for index in indexes:
                bound[index] = value
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, bound)
            rows: Iterable[Any] = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [dict(zip(names, row, strict=True)) for row in rows]
