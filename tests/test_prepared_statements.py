"""#23, seventeenth round: a rollback keeps the connection's prepared statements
(core/postgresql). psycopg forgets them all, and sends DEALLOCATE ALL, on every rollback and
every ROLLBACK TO SAVEPOINT; under the checkout flow that left half of all statements planned
afresh. The shop's backend sends the rollback itself: the transaction is rolled back exactly as
before, and the statements PostgreSQL prepared stay prepared and are used again."""

import time

import psycopg
import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from auroramart.accounts.models import User
from auroramart.cart.storage import DbCart
from auroramart.catalog.models import Product
from auroramart.orders.models import Order
from auroramart.orders.services import CheckoutError

from .factories import CustomerFactory, ProductFactory, set_stock, variant
from .placing import place

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _a_connection_of_its_own():
    """Each test starts on a new connection: statements earlier tests left prepared (a connection
    keeps up to psycopg's 100, the oldest giving way) would come and go while it counts."""
    connection.close()


def _prepared_on_the_server() -> dict[str, int]:
    """This connection's prepared statements and how often each has run, read with the libpq
    handle so that the reading itself is neither prepared nor counted."""
    connection.ensure_connection()
    result = connection.connection.pgconn.exec_(
        b"SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
    )
    assert result.status == psycopg.pq.ExecStatus.TUPLES_OK
    return {result.get_value(row, 0).decode(): int(result.get_value(row, 1)) for row in range(result.ntuples)}


def _a_read():
    return list(User.objects.filter(pk=0).values_list("email", flat=True))


def _prepare_a_read() -> str:
    for _ in range(6):  # psycopg prepares a statement on its fifth run on a connection
        _a_read()
    statements = [
        s for s in _prepared_on_the_server() if s.startswith('SELECT "accounts_user"."email" AS "email" FROM')
    ]
    assert len(statements) == 1, statements
    return statements[0]


def _fill_cart(user, product, quantity):
    DbCart(user).set_item(variant(product).pk, quantity, product.price)


def _runs(statement: str) -> int:
    return _prepared_on_the_server().get(statement, 0)


def test_a_rollback_undoes_the_transaction_and_keeps_the_prepared_statements():
    statement = _prepare_a_read()
    before = _prepared_on_the_server()
    with CaptureQueriesContext(connection) as queries, pytest.raises(RuntimeError), transaction.atomic():
        ProductFactory(name="Written, then rolled back")
        raise RuntimeError
    assert queries.captured_queries[-1]["sql"] == "ROLLBACK"  # logged (and counted) as before
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert not Product.objects.exists()
    assert before.keys() <= _prepared_on_the_server().keys()
    runs = _runs(statement)
    _a_read()
    assert _runs(statement) == runs + 1  # the prepared statement ran, not a fresh plan


@pytest.mark.parametrize("failure", ["an exception", "a database error"])
def test_a_rollback_to_a_savepoint_keeps_the_outer_write_and_the_prepared_statements(failure):
    """The inner block fails in Python, or in the database (a duplicate SKU, which leaves the
    transaction aborted until the savepoint is rolled back); the outer block goes on and commits."""
    statement = _prepare_a_read()
    with transaction.atomic():
        kept = ProductFactory(name="Kept")
        with (
            pytest.raises(RuntimeError if failure == "an exception" else IntegrityError),
            transaction.atomic(),
        ):
            ProductFactory(name="Rolled back", sku=kept.sku if failure == "a database error" else "NEW-1")
            raise RuntimeError
        runs = _runs(statement)
        _a_read()
        assert _runs(statement) == runs + 1
        ProductFactory(name="Written after")
    assert sorted(Product.objects.values_list("name", flat=True)) == ["Kept", "Written after"]


def test_an_aborted_transaction_is_rolled_back_and_the_connection_works_on():
    statement = _prepare_a_read()
    with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    assert statement in _prepared_on_the_server()
    assert _a_read() == [] and Product.objects.count() == 0


def test_a_placement_refused_as_out_of_stock_leaves_the_placements_statements_prepared():
    """The flow's case: the refused placement's statements, prepared by the placements before
    it, are still prepared for the next one, and the refusal wrote nothing."""
    customer = CustomerFactory()
    mug = ProductFactory(price="12.00", stock_quantity=1000)
    for n in range(6):
        _fill_cart(customer, mug, 1)
        place(customer, f"placed-{n}")
    before = _prepared_on_the_server()
    _fill_cart(customer, mug, 3)
    with transaction.atomic():
        set_stock(mug, 2)  # someone else bought some meanwhile
    with pytest.raises(CheckoutError, match="left"):
        place(customer, "refused")
    assert not Order.objects.filter(idempotency_key="refused").exists()
    mug.refresh_from_db()
    assert mug.stock_quantity == 2
    after = _prepared_on_the_server()
    assert before.keys() <= after.keys(), before.keys() - after.keys()
    assert sum(after.values()) > sum(before.values())  # the refused placement used them


def test_a_rollback_on_a_connection_the_server_ended_raises_and_the_next_request_reconnects():
    """What the libpq path cannot do goes to psycopg's rollback, which raises as before: Django
    closes the connection and the next statement opens a new one."""
    _prepare_a_read()
    pid = connection.connection.info.backend_pid
    with pytest.raises(RuntimeError), transaction.atomic():
        _a_read()
        other = psycopg.connect(
            **{
                k: v
                for k, v in connection.get_connection_params().items()
                if k in ("host", "port", "user", "password", "dbname")
            },
            autocommit=True,
        )
        with other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(0.05)
        raise RuntimeError
    assert _a_read() == []
    assert connection.connection.info.backend_pid != pid
