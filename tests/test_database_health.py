"""#23, eleventh round: the database connection's health check before a request's first
statement reads the socket instead of sending SELECT 1 (core/postgresql). A healthy connection
is kept without a statement sent; one the server ended is replaced before the request uses it,
so a restart or failover still costs no request an error; one left in a transaction gets
Django's own check."""

import time

import psycopg
import pytest
from django.db import DatabaseError, close_old_connections, connection, transaction

from auroramart.catalog.models import Product

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connections"),
    pytest.mark.django_db(transaction=True),
]


def _other():
    params = connection.get_connection_params()
    keep = ("host", "port", "user", "password", "dbname")
    return psycopg.connect(**{k: v for k, v in params.items() if k in keep}, autocommit=True)


def _last_statement(pid: int) -> str:
    """What the server last ran for this connection, as another session sees it."""
    with _other() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def _as_a_new_request_starts():
    close_old_connections()  # what Django's handler does when a request starts


def test_a_healthy_connection_is_kept_without_a_statement_sent(settings):
    # A connection of its own: the worker's may be older than CONN_MAX_AGE by now, and a request
    # that starts then closes it for its age, before any health check (a flake on a slow run).
    connection.close()
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement of the request before'")
    _as_a_new_request_starts()
    connection.close_if_health_check_failed()
    assert connection.health_check_done and connection.connection.info.backend_pid == pid
    assert _last_statement(pid) == "SELECT 'the last statement of the request before'"


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it():
    Product.objects.count()
    pid = connection.connection.info.backend_pid
    with _other() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])  # a restart, a failover
    deadline = time.monotonic() + 10
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's goodbye is on its way
    _as_a_new_request_starts()
    assert Product.objects.count() == 0  # no error: a new connection answered
    assert connection.connection.info.backend_pid != pid


def test_a_connection_inside_a_transaction_gets_djangos_own_check():
    with transaction.atomic():
        Product.objects.count()
        assert connection.is_usable()
        assert _last_statement(connection.connection.info.backend_pid) == "SELECT 1"
    with pytest.raises(DatabaseError), transaction.atomic():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        finally:
            assert not connection.is_usable()  # an aborted transaction: SELECT 1 fails, as Django's
