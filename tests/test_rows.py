"""core.rows reads instances in one constant statement (#23): they must be the ORM's own, value
for value and type for type, on both databases — decimals, booleans, dates, JSON, nulls."""

from decimal import Decimal

import pytest

from auroramart.cart.models import Cart
from auroramart.catalog.models import Product, ProductVariant
from auroramart.core.rows import by_pk, insert
from auroramart.promotions.models import Coupon

from .factories import CustomerFactory, ProductFactory, make_variants


def _same(model, keys):
    orm = {o.pk: o for o in model.objects.filter(pk__in=keys)}
    read = {o.pk: o for o in by_pk(model, keys)}
    assert read.keys() == orm.keys() == set(keys)
    for pk, expected in orm.items():
        for field in model._meta.concrete_fields:
            mine, theirs = getattr(read[pk], field.attname), getattr(expected, field.attname)
            assert (mine, type(mine)) == (theirs, type(theirs)), (model.__name__, field.attname)
        assert not read[pk]._state.adding and read[pk]._state.db == expected._state.db


@pytest.mark.django_db
def test_variants_products_carts_and_coupons_read_by_key_are_the_orms_own():
    lamp = ProductFactory(name="Lamp", price=Decimal("45.50"), stock_quantity=3)
    shirt = ProductFactory(name="Shirt", price=Decimal("19.90"))
    make_variants(shirt, {"Size": ["S", "M"]}, prices=[Decimal("19.90"), Decimal("21.00")])
    ProductVariant.objects.filter(product=shirt).update(compare_at_price=Decimal("25.00"), is_active=False)
    _same(ProductVariant, list(ProductVariant.objects.values_list("pk", flat=True)))
    _same(Product, [lamp.pk, shirt.pk])
    cart = Cart.objects.create(user=CustomerFactory(), coupon_codes=["SAVE10", "ÉTÉ"])
    _same(Cart, [cart.pk])
    coupon = Coupon.objects.create(code="SAVE10", kind="percent", value=Decimal("10"))
    _same(Coupon, [coupon.pk])


@pytest.mark.django_db
def test_a_row_read_with_more_values_is_the_orms_own_and_the_values_come_in_the_same_statement(
    django_assert_num_queries,
):
    """`by_pk_with`: a signed-in shopper and their header's counts on every page (#23)."""
    from auroramart.accounts.models import Notification, User
    from auroramart.core import rows

    customer = CustomerFactory(first_name="Mei")
    Notification.objects.create(user=customer, kind="order", title="t")
    more = "(SELECT COUNT(*) FROM accounts_notification WHERE user_id = %s), %s"
    with django_assert_num_queries(1):
        read, values = rows.by_pk_with(User, customer.pk, more, [customer.pk, "x"])
    expected = User.objects.get(pk=customer.pk)
    for field in User._meta.concrete_fields:
        mine, theirs = getattr(read, field.attname), getattr(expected, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.attname
    assert not read._state.adding and values == (1, "x")
    assert rows.by_pk_with(User, 987654, more, [customer.pk, "x"]) == (None, ())


@pytest.mark.django_db
def test_keys_that_match_nothing_read_nothing():
    assert by_pk(ProductVariant, []) == []
    assert by_pk(ProductVariant, [987654]) == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["search", "cart addition"])
def test_a_row_inserted_in_one_statement_is_the_row_create_would_write(kind):
    from django.utils import timezone

    from auroramart.analytics.models import CartAddition
    from auroramart.search.models import SearchQueryLog

    user, product = CustomerFactory(), ProductFactory(name="Lamp")
    model, values = {
        "search": (
            SearchQueryLog,
            {"query": "Lámp <b>", "normalised": "lamp", "results": 3, "user": user, "visitor": "v1"},
        ),
        "cart addition": (
            CartAddition,
            {"product": product, "user_id": None, "visitor": "v2", "quantity": 2},
        ),
    }[kind]
    before = timezone.now()
    insert(model, **values)
    created = model.objects.create(**values)
    inserted = model.objects.exclude(pk=created.pk).get()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name == "created_at":
            continue
        assert getattr(inserted, field.attname) == getattr(created, field.attname), field.name
    assert before <= inserted.created_at <= created.created_at


@pytest.mark.django_db
def test_insert_refuses_a_model_something_listens_to():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="save signals"):
        insert(Product, name="Lamp")  # the catalog's cache listens to every saved product


@pytest.mark.django_db
def test_amounts_added_in_one_statement_land_on_their_own_rows_and_columns_only():
    """add_to is the placement's stock and units-sold update: each row gets its own amount in
    each column, negative or not; a key one column does not name gets 0 there; rows not named
    are untouched."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from auroramart.core.rows import add_to

    lamp, mug, kept = (ProductFactory(stock_quantity=10) for _ in range(3))
    Product.objects.filter(pk=lamp.pk).update(sold_count=4)
    with CaptureQueriesContext(connection) as ctx:
        add_to(Product, {"stock_quantity": {lamp.pk: -3, mug.pk: 5}, "sold_count": {lamp.pk: 3}})
    assert len(ctx.captured_queries) == 1
    rows = {p.pk: (p.stock_quantity, p.sold_count) for p in Product.objects.all()}
    assert rows == {lamp.pk: (7, 7), mug.pk: (15, 0), kept.pk: (10, 0)}
    with CaptureQueriesContext(connection) as ctx:
        add_to(Product, {"stock_quantity": {}})
    assert not ctx.captured_queries  # nothing to add, nothing sent


@pytest.mark.django_db
def test_rows_read_by_their_columns_are_the_orms_own_in_the_orms_order():
    """`where` stands in for `list(Model.objects.filter(...))` on every checkout page: a
    customer's addresses (their default first, then the newest) and their cards with the shop's
    provider (the newest first), and nobody else's."""
    from datetime import timedelta

    from django.utils import timezone

    from auroramart.accounts.models import Address
    from auroramart.core.rows import where
    from auroramart.payments.models import SavedCard

    from .factories import AddressFactory

    shopper, other = CustomerFactory(), CustomerFactory()
    old, default, new = (AddressFactory(user=shopper, line1=f"{n} Orchard Rd") for n in (1, 2, 3))
    AddressFactory(user=other)
    Address.objects.filter(pk=default.pk).update(is_default_shipping=True)
    now = timezone.now()
    for address, age in ((old, 3), (default, 2), (new, 1)):
        Address.objects.filter(pk=address.pk).update(created_at=now - timedelta(days=age))
    read = where(Address, user_id=shopper.pk)
    assert [a.pk for a in read] == [default.pk, new.pk, old.pk]
    assert [a.pk for a in read] == [a.pk for a in Address.objects.filter(user=shopper)]
    _same(Address, [a.pk for a in read])

    owners = [
        (shopper, "test", "pm_0"),
        (shopper, "test", "pm_1"),
        (shopper, "stripe", "pm_2"),
        (other, "test", "pm_x"),
    ]
    for n, (owner, gateway, method) in enumerate(owners):
        SavedCard.objects.create(
            user=owner,
            gateway=gateway,
            payment_method=method,
            brand="Visa",
            last4=f"424{n}",
            exp_month=12,
            exp_year=2030,
        )
    cards = where(SavedCard, user_id=shopper.pk, gateway="test")
    assert [c.payment_method for c in cards] == [
        c.payment_method for c in SavedCard.objects.filter(user=shopper, gateway="test")
    ]
    assert {c.payment_method for c in cards} == {"pm_0", "pm_1"}
    assert where(SavedCard, user_id=other.pk, gateway="stripe") == []


@pytest.mark.django_db
def test_where_refuses_what_equality_cannot_say(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from auroramart.accounts.models import Address
    from auroramart.core.rows import _where_statement, where
    from auroramart.orders.models import OrderItem

    with pytest.raises(ValueError, match="NULL"):
        where(Address, user_id=None)  # = never matches NULL; the ORM's IS NULL is the way
    # An order the statement cannot copy (across a relation) is refused, not dropped.
    monkeypatch.setattr(OrderItem._meta, "ordering", ["order__placed_at"])
    _where_statement.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="not a plain field"):
            where(OrderItem, order_id=1)
    finally:
        _where_statement.cache_clear()


@pytest.mark.django_db
def test_rows_locked_are_the_orms_own_and_only_inside_a_transaction(django_assert_num_queries):
    """`locked` stands in for `select_for_update().filter(...)` (a loyalty account at every paid
    order): the same instances, in one statement, and like the ORM it refuses to run where no
    transaction would hold the lock (tests/test_concurrency.py races it on PostgreSQL)."""
    from django.db import transaction

    from auroramart.core.rows import locked
    from auroramart.loyalty.models import LoyaltyAccount
    from auroramart.loyalty.services import open_account

    shopper, other = CustomerFactory(), CustomerFactory()
    open_account(shopper)
    open_account(other)
    with transaction.atomic():
        with django_assert_num_queries(1) as captured:
            read = locked(LoyaltyAccount, user_id=shopper.pk)
        assert [a.pk for a in read] == [LoyaltyAccount.objects.get(user=shopper).pk]
        _same(LoyaltyAccount, [a.pk for a in read])
        sql = captured.captured_queries[0]["sql"]
        assert sql.endswith("FOR UPDATE") == (transaction.get_connection().vendor == "postgresql")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["locked", "locked_by_pk"])
def test_rows_locked_outside_a_transaction_is_refused(how):
    from django.db.transaction import TransactionManagementError

    from auroramart.core import rows
    from auroramart.loyalty.models import LoyaltyAccount

    with pytest.raises(TransactionManagementError):
        if how == "locked":
            rows.locked(LoyaltyAccount, user_id=1)
        else:
            rows.locked_by_pk(LoyaltyAccount, [1])


@pytest.mark.django_db(transaction=True)
def test_variants_locked_by_key_are_the_orms_own_in_key_order_and_held_until_the_commit(
    django_assert_num_queries,
):
    """`locked_by_pk` stands in for `select_for_update().filter(pk__in=…).order_by("pk")` (the
    variants and products every placement takes stock from): the same instances, in key order
    whatever order the keys come in, in one statement; on PostgreSQL another connection cannot
    take them until the transaction ends. `lock_variants` hands each variant its product and
    the product's category as the ORM reads them."""
    from django.db import connection, connections, transaction

    from auroramart.core.rows import locked_by_pk
    from auroramart.inventory.services import lock_variants

    shirt = ProductFactory(name="Shirt", price=Decimal("19.90"))
    variants = make_variants(shirt, {"Size": ["S", "M", "L"]}, prices=[Decimal("19.90")] * 3)
    keys = [v.pk for v in variants]
    with transaction.atomic():
        with django_assert_num_queries(1) as captured:
            read = locked_by_pk(ProductVariant, reversed(keys))
        assert [v.pk for v in read] == sorted(keys)
        _same(ProductVariant, keys)
        assert captured.captured_queries[0]["sql"].endswith("FOR NO KEY UPDATE") == (
            connection.vendor == "postgresql"
        )
        if connection.vendor == "postgresql":
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor, pytest.raises(Exception, match="could not obtain lock"):
                    cursor.execute(
                        "SELECT id FROM catalog_productvariant WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                        [keys[0]],
                    )
            finally:
                other.close()
        locked = lock_variants(keys)
    expected = ProductVariant.objects.select_related("product", "product__category").get(pk=keys[1])
    mine = locked[keys[1]]
    assert (
        mine.product.pk,
        mine.product.name,
        mine.product.category.pk,
        mine.product.category.tax_class_id,
    ) == (
        expected.product.pk,
        expected.product.name,
        expected.product.category.pk,
        expected.product.category.tax_class_id,
    )
    assert locked_by_pk(ProductVariant, []) == []


@pytest.mark.django_db
def test_fields_updated_in_one_statement_are_what_save_with_update_fields_writes(django_assert_num_queries):
    """`update` stands in for `save(update_fields=…)` (an order's totals and then its paid status
    at every placement, a loyalty balance at every credit): the same row afterwards, auto_now
    stamped, JSON and decimals prepared, in one statement; a row that is gone is an error."""
    from django.db import DatabaseError
    from django.utils import timezone

    from auroramart.cart.storage import DbCart
    from auroramart.core.rows import update
    from auroramart.orders.models import Order

    from .factories import variant
    from .placing import place

    customer = CustomerFactory()
    lamp = ProductFactory(name="Lamp", price=Decimal("40.00"), stock_quantity=5)
    DbCart(customer).set_item(variant(lamp).pk, 1, lamp.price)
    mine = place(customer, "rows-update").order
    theirs = Order.objects.get(pk=mine.pk)
    stamp = theirs.updated_at
    for order in (mine, theirs):
        order.subtotal, order.coupon_codes = Decimal("12.34"), ["ÉTÉ", "SAVE10"]
        order.tax_lines = [{"label": "GST (9%)", "amount": "1.02"}]
    theirs.save(update_fields=["subtotal", "coupon_codes", "tax_lines", "updated_at"])
    expected = {
        f.attname: getattr(Order.objects.get(pk=mine.pk), f.attname) for f in Order._meta.concrete_fields
    }
    with django_assert_num_queries(1):
        update(mine, ["subtotal", "coupon_codes", "tax_lines", "updated_at"])
    written = Order.objects.get(pk=mine.pk)
    for name, value in expected.items():
        if name != "updated_at":
            assert getattr(written, name) == value, name
    assert stamp < written.updated_at == mine.updated_at <= timezone.now()
    Order.objects.filter(pk=mine.pk).delete()
    with pytest.raises(DatabaseError):
        update(mine, ["subtotal"])


def test_update_refuses_the_key_and_a_model_something_listens_to():
    from django.core.exceptions import ImproperlyConfigured
    from django.db.models.signals import post_save

    from auroramart.core.rows import _update_statement, update
    from auroramart.orders.models import Order

    with pytest.raises(ImproperlyConfigured):
        update(Order(pk=1), ["id"])

    def listener(**kwargs):
        pass

    post_save.connect(listener, sender=Order)
    _update_statement.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured):
            update(Order(pk=1), ["subtotal"])
    finally:
        post_save.disconnect(listener, sender=Order)
        _update_statement.cache_clear()


@pytest.mark.django_db
def test_rows_read_by_either_of_two_columns_are_the_orms_own(django_assert_num_queries):
    """`where_either` stands in for `filter(**equals).filter(Q(a=…) | Q(b=…))` (the order a
    checkout's key or its cart names, at every placement): the same rows, in one statement."""
    from django.db.models import Q
    from django.utils.timezone import now

    from auroramart.core.rows import where_either
    from auroramart.orders.models import Order

    mine, other = CustomerFactory(), CustomerFactory()
    for user, number, key in [
        (mine, "AM1", "k1"),
        (mine, "AM2", "k2"),
        (mine, "AM3", "k3"),
        (other, "AM4", "k1"),
    ]:
        Order.objects.create(
            user=user,
            number=number,
            idempotency_key=key,
            email=user.email,
            subtotal=0,
            total=0,
            placed_at=now(),
        )
    for either in ({"idempotency_key": "k1", "number": "AM2"}, {"idempotency_key": "k3"}, {"number": "AM4"}):
        any_of = Q()
        for name, value in either.items():
            any_of |= Q(**{name: value})
        expected = list(Order.objects.filter(user_id=mine.pk).filter(any_of))
        with django_assert_num_queries(1):
            read = where_either(Order, {"user_id": mine.pk}, either)
        assert [o.pk for o in read] == [o.pk for o in expected]
        _same(Order, [o.pk for o in read])
    assert {
        o.number
        for o in where_either(Order, {"user_id": mine.pk}, {"idempotency_key": "k1", "number": "AM2"})
    } == {"AM1", "AM2"}
    with pytest.raises(ValueError):
        where_either(Order, {"user_id": mine.pk}, {"number": None})


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["outbox email", "points ledger row"])
def test_a_row_created_in_one_statement_is_what_the_orm_creates_and_returns(kind, django_assert_num_queries):
    """`create` stands in for `Model.objects.create` where the caller uses the row (every queued
    email, every points ledger row): the same row in the table, and an instance with its own
    primary key, saved, from one statement."""
    from auroramart.core.models import OutboxEmail
    from auroramart.core.rows import create
    from auroramart.loyalty.models import LoyaltyTransaction
    from auroramart.loyalty.services import open_account

    if kind == "outbox email":
        model, values = (
            OutboxEmail,
            {
                "to": "mei@example.test",
                "subject": "Ihre Bestellung — №1",
                "body": "Thank you.",
                "html": "<p>Thank you.</p>",
                "headers": {"List-Unsubscribe": "<https://x.test/u>"},
                "attachments": [{"kind": "invoice", "order": "AM1"}],
            },
        )
    else:
        account = open_account(CustomerFactory())
        model, values = (
            LoyaltyTransaction,
            {
                "account": account,
                "kind": "adjust",
                "points": 40,
                "balance_after": 140,
                "reason": "Goodwill",
            },
        )
    with django_assert_num_queries(1):
        mine = create(model, **values)
    theirs = model.objects.create(**values)
    assert mine.pk and mine.pk != theirs.pk and not mine._state.adding
    stored = model.objects.get(pk=mine.pk)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name == "created_at":
            continue
        assert (
            getattr(stored, field.attname) == getattr(theirs, field.attname) == getattr(mine, field.attname)
        ), field.name
    assert stored.created_at == mine.created_at


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("owner", ["customer", "guest"])
def test_a_row_created_unless_taken_is_the_orms_own_and_a_taken_value_writes_nothing_and_raises_nothing(
    owner, django_assert_num_queries
):
    """`create_unless_taken` stands in for a savepoint around `save()` that catches IntegrityError
    (a placement's new order, whose checkout key a twin request may have taken first): a taken
    key, or a taken order number, gives None and leaves the transaction usable, in one
    statement; a constraint other than uniqueness still raises."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from auroramart.core.rows import create_unless_taken
    from auroramart.orders.models import Order

    user = CustomerFactory() if owner == "customer" else None
    values = {
        "user": user,
        "email": "mei@example.test",
        "subtotal": Decimal("0"),
        "total": Decimal("0"),
        "placed_at": timezone.now(),
    }
    with transaction.atomic():
        with django_assert_num_queries(1):
            made = create_unless_taken(Order, number="AM1", idempotency_key="k1", **values)
        assert made.pk and not made._state.adding
        stored = Order.objects.get(pk=made.pk)
        for field in Order._meta.concrete_fields:
            assert getattr(stored, field.attname) == getattr(made, field.attname), field.name
        with django_assert_num_queries(1):
            assert create_unless_taken(Order, number="AM2", idempotency_key="k1", **values) is None
        assert create_unless_taken(Order, number="AM1", idempotency_key="k2", **values) is None
        # Still usable: no error aborted it, and nothing was written for the taken values.
        assert list(Order.objects.values_list("number", flat=True)) == ["AM1"]
    with pytest.raises(IntegrityError), transaction.atomic():
        create_unless_taken(Order, number="AM3", idempotency_key="k3", **{**values, "total": Decimal("-1")})


# The test's own statement: the columns `rows` names, from the model's metadata.
OUTBOX_SQL = "SELECT {columns} FROM core_outboxemail e"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "by_pk",
        "by_pk_with",
        "columns",
        "where",
        "where_either",
        "locked",
        "locked_by_pk",
        "insert",
        "create",
        "create_unless_taken",
        "update",
        "add_to",
    ],
)
def test_every_statement_names_a_column_that_is_a_keyword_of_sql(statement):
    """The outbox's address column is named `to`: every statement `rows` builds quotes the names
    it takes from a model, or the database refuses it (`insert` did not, and `create` on the
    outbox failed the first time it ran, #23)."""
    from django.db import transaction

    from auroramart.core import rows
    from auroramart.core.models import OutboxEmail

    email = OutboxEmail.objects.create(to="mei@example.test", subject="Hello", body="Hi")
    with transaction.atomic():
        if statement == "by_pk":
            assert [e.to for e in rows.by_pk(OutboxEmail, [email.pk])] == ["mei@example.test"]
        elif statement == "by_pk_with":
            read, more = rows.by_pk_with(OutboxEmail, email.pk, "%s", [7])
            assert (read.to, more) == ("mei@example.test", (7,))
        elif statement == "columns":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(OUTBOX_SQL.format(columns=rows.columns(OutboxEmail, "e")))
                read = rows.from_row(OutboxEmail, cursor.fetchone(), connection.alias)
            assert (read.pk, read.to, read.headers) == (email.pk, "mei@example.test", email.headers)
        elif statement == "where":
            assert [e.pk for e in rows.where(OutboxEmail, to="mei@example.test")] == [email.pk]
        elif statement == "where_either":
            found = rows.where_either(
                OutboxEmail, {"subject": "Hello"}, {"to": "mei@example.test", "body": "x"}
            )
            assert [e.pk for e in found] == [email.pk]
        elif statement == "locked":
            assert [e.pk for e in rows.locked(OutboxEmail, to="mei@example.test")] == [email.pk]
        elif statement == "locked_by_pk":
            assert [e.to for e in rows.locked_by_pk(OutboxEmail, [email.pk])] == ["mei@example.test"]
        elif statement == "insert":
            rows.insert(OutboxEmail, to="tan@example.test", subject="Hello", body="Hi")
            assert OutboxEmail.objects.filter(to="tan@example.test").count() == 1
        elif statement == "create":
            made = rows.create(OutboxEmail, to="tan@example.test", subject="Hello", body="Hi")
            assert OutboxEmail.objects.get(pk=made.pk).to == "tan@example.test"
        elif statement == "create_unless_taken":
            made = rows.create_unless_taken(OutboxEmail, to="tan@example.test", subject="Hello", body="Hi")
            assert OutboxEmail.objects.get(pk=made.pk).to == "tan@example.test"
        elif statement == "update":
            email.to = "tan@example.test"
            rows.update(email, ["to"])
            assert OutboxEmail.objects.get(pk=email.pk).to == "tan@example.test"
        else:
            rows.add_to(OutboxEmail, {"attempts": {email.pk: 2}})
            assert OutboxEmail.objects.get(pk=email.pk).attempts == email.attempts + 2
