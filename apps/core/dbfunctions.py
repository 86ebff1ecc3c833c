"""Database functions Django does not ship."""

from typing import Any

from django.db.models import FloatField, Func


class EpochSeconds(Func):
    """A date-time column as seconds since 1970-01-01 UTC (a float; NULL stays NULL), computed by the
    database: reading thousands of date-times as numbers skips parsing each into a datetime and making it
    aware. Stored date-times are UTC (USE_TZ), so no session time zone is involved."""

    arity = 1
    output_field = FloatField()

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # TIMESTAMPDIFF, unlike UNIX_TIMESTAMP, does not read the value in the session's time zone.
        template = "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', %(expressions)s) / 1e6"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday reads milliseconds, not microseconds: the embedded default's (make run) precision.
        template = "(julianday(%(expressions)s) - 2440587.5) * 86400.0"
        return self.as_sql(compiler, connection, template=template, **extra)
