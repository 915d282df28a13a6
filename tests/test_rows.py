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
