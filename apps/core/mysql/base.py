"""MySQL and MariaDB as Django's own backend, with one round trip less per transaction.

Django opens a transaction (`atomic`) by turning autocommit off (SET autocommit=0) and, after COMMIT or
ROLLBACK, turns it on again (SET autocommit=1): three round trips around the transaction's own statements.
Here a transaction begins with START TRANSACTION and autocommit stays on: COMMIT or ROLLBACK ends it and
the session is in autocommit again by itself, so turning autocommit on sends nothing (mysqlclient asks the
connection's status first). Django does the same for SQLite (its `_start_transaction_under_autocommit`
hook, which `atomic` calls). A transaction turned on by hand (`set_autocommit(False)`) is Django's as before.
"""

from django.db.backends.mysql import base
from django.db.backends.utils import debug_transaction


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        with debug_transaction(self, "BEGIN"), self.wrap_database_errors:
            self.connection.query("START TRANSACTION")
