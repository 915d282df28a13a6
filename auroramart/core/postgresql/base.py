"""Django's PostgreSQL backend with a health check that costs no round trip, and rollbacks that
keep the connection's prepared statements (#23).

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first statement of every request
that keeps its connection: a round trip, and about 50 µs of the process's CPU and some of the
database's, on every signed-in page, cart write and placement, to learn what the socket
already says. A server that ends a connection (a restart, a failover, pg_terminate_backend, a
pooler's idle timeout) tells the client on its socket before closing it; an idle connection
otherwise has nothing to read. So an idle connection with nothing to read is usable, one with
anything to read is replaced, and one that is not idle (a transaction left open, an error) gets
Django's own check. A connection cut without a word (a network partition) fails its first
statement either way: Django's `SELECT 1` would have waited for a timeout there too.

psycopg forgets every statement it has prepared on a connection, and sends DEALLOCATE ALL, on
each rollback and each ROLLBACK TO SAVEPOINT: in case the rolled-back transaction had changed
the tables a statement reads. PostgreSQL itself keeps prepared statements across a rollback,
and the shop changes no table outside a migration. Under the checkout flow a connection rolled
back about once a second (a placement refused as out of stock, a declined card, an API
conflict), and half of all statements then ran unprepared, planned afresh, while each was run
five more times before being prepared again. So the rollback is sent as the command itself
through the connection's libpq handle, which leaves psycopg's cache and the server's statements
as they are. Whatever that path cannot do (no connection, a broken one, an error from the
server) goes to psycopg's own rollback, which raises Django's usual error."""

import select

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction
from psycopg.pq import ConnStatus, ExecStatus, TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != ConnStatus.OK:
            return False
        if pgconn.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()
        try:
            return not _has_something_to_read(pgconn.socket)
        except (OSError, ValueError, psycopg.Error):  # the socket is gone, or out of poll's reach
            return super().is_usable()

    def _rollback(self):
        if not self._roll_back_keeping_prepared_statements("ROLLBACK", whole=True):
            super()._rollback()

    def _savepoint_rollback(self, sid):
        if not self._roll_back_keeping_prepared_statements(self.ops.savepoint_rollback_sql(sid), whole=False):
            super()._savepoint_rollback(sid)

    def _roll_back_keeping_prepared_statements(self, sql: str, *, whole: bool) -> bool:
        """Whether `sql` ran on the server and succeeded; logged as Django logs its ROLLBACK."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        with debug_transaction(self, sql):
            if whole and pgconn.transaction_status == TransactionStatus.IDLE:
                return True  # nothing to roll back: psycopg's own rollback sends nothing either
            try:
                result = pgconn.exec_(sql.encode())
            except psycopg.Error:
                return False
        return result.status == ExecStatus.COMMAND_OK


def _has_something_to_read(fd: int) -> bool:
    waiting = select.poll()
    waiting.register(fd, select.POLLIN)
    return bool(waiting.poll(0))
