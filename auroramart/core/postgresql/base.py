"""Django's PostgreSQL backend with a health check that costs no round trip (#23).

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first statement of every request
that keeps its connection: a round trip, and about 50 µs of the process's CPU and some of the
database's, on every signed-in page, cart write and placement, to learn what the socket
already says. A server that ends a connection (a restart, a failover, pg_terminate_backend, a
pooler's idle timeout) tells the client on its socket before closing it; an idle connection
otherwise has nothing to read. So an idle connection with nothing to read is usable, one with
anything to read is replaced, and one that is not idle (a transaction left open, an error) gets
Django's own check. A connection cut without a word (a network partition) fails its first
statement either way: Django's `SELECT 1` would have waited for a timeout there too."""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import ConnStatus, TransactionStatus


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


def _has_something_to_read(fd: int) -> bool:
    waiting = select.poll()
    waiting.register(fd, select.POLLIN)
    return bool(waiting.poll(0))
