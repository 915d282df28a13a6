"""Where a cart lives: in the session for guests, in the database for customers.
Both offer the same small interface, so the cart services need not care. A cart line is
a variant: items are keyed by variant id."""

import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, router, transaction
from django.utils import timezone

from auroramart.catalog.models import ProductVariant
from auroramart.core import rows

from .models import Cart, CartDiscount, CartItem

SESSION_KEY = "cart"
# Session carts written before variants were keyed by product id; version 2 by variant id.
SESSION_VERSION = 2


def _empty() -> dict:
    return {"v": SESSION_VERSION, "items": {}, "coupons": [], "discount": None}


class SessionCart:
    def __init__(self, session):
        self.session = session
        self.data = session.get(SESSION_KEY) or _empty()
        if self.data.get("v") != SESSION_VERSION and self.data.get("items"):
            self._upgrade()

    def _upgrade(self):
        """A guest's cart from before variants: each product's line becomes its default variant's."""
        from auroramart.catalog.models import ProductVariant

        by_product: dict[int, int] = {}
        for product_id, pk in (
            ProductVariant.objects.filter(product_id__in=[int(k) for k in self.data["items"]], is_active=True)
            .order_by("-position", "-pk")
            .values_list("product_id", "pk")
        ):
            by_product[product_id] = pk
        self.data["items"] = {
            str(by_product[int(k)]): v for k, v in self.data["items"].items() if int(k) in by_product
        }
        self.data["v"] = SESSION_VERSION
        self._save()

    def _save(self):
        self.data["v"] = SESSION_VERSION
        self.data["t"] = timezone.now().isoformat()  # the last change: how long it has been left
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def items(self) -> dict[int, tuple[int, Decimal]]:
        return {int(pid): (v["q"], Decimal(v["p"])) for pid, v in self.data["items"].items()}

    def variants(self) -> dict:
        """None read with the lines (a guest's are in the session): cart_variants reads them."""
        return {}

    # Another request may hold an older copy of this session with the lines still in it: a
    # placement marker on the session's Cart row then means "placed", whatever the copy says.
    placement_outlives_items = True

    def set_item(self, variant_id: int, quantity: int, price: Decimal | None = None):
        if self.data.pop("placed", None):
            # Shopping again after an order: this is a new cart, free to be placed.
            self._checkout_row().update(placing_order_number="")
        entry = self.data["items"].get(str(variant_id))
        self.data["items"][str(variant_id)] = {
            "q": quantity,
            "p": str(price if price is not None else entry["p"]),
        }
        self._save()

    def remove(self, variant_id: int):
        self.data["items"].pop(str(variant_id), None)
        self._save()

    def coupon_codes(self) -> list[str]:
        return list(self.data.get("coupons", []))

    def set_coupon_codes(self, codes: list[str]):
        self.data["coupons"] = codes
        self._save()

    def discount(self) -> dict | None:
        return self.data.get("discount")

    def set_discount(self, discount: dict | None):
        self.data["discount"] = discount
        self._save()

    def clear(self):
        placed = self.data.get("placing", "")
        self.data = _empty()
        if placed:  # remembered, so that shopping again frees the session's placement marker
            self.data["placed"] = placed
            self._save()
        else:
            self.session.pop(SESSION_KEY, None)

    def count(self) -> int:
        return sum(v["q"] for v in self.data["items"].values())

    def _checkout_row(self):
        if not self.session.session_key:
            self.session.save()
        return Cart.objects.filter(session_key=self.session.session_key)

    def lock_for_checkout(self) -> str:
        """Two tabs of one guest can check out at once, each with its own copy of the session:
        they queue on a Cart row keyed by the session (made for the purpose), which holds the
        number the cart was last placed as."""
        checkout_rows = self._checkout_row()
        if not checkout_rows.exists():
            Cart.objects.get_or_create(session_key=self.session.session_key)
        placing = checkout_rows.select_for_update().values_list("placing_order_number", flat=True).get()
        return placing or self.data.get("placing", "")

    def mark_placing(self, order_number: str):
        self._checkout_row().update(placing_order_number=order_number)
        self.data["placing"] = order_number
        self._save()

    def remember_contact(self, email: str) -> None:
        """A guest gave this email at checkout and agreed to hear from the shop: a reminder of
        this cart may go there if it is left (campaigns/abandoned_carts.py)."""
        if not self.session.session_key:
            self.session.save()
        Cart.objects.update_or_create(
            session_key=self.session.session_key, defaults={"email": email, "marketing_opt_in": True}
        )

    def placed_as(self, order_number: str) -> bool:
        """Whether this cart is the one last checked out as that order (and not emptied since)."""
        return bool(order_number) and self.data.get("placing") == order_number


@dataclass(frozen=True)
class _CartState:
    items: dict[int, tuple[int, Decimal]]
    coupon_codes: list[str]
    discount: dict | None
    # Each line's variant as read with the lines (its columns, in the model's order): the cart's
    # pages and writes price and check the lines without reading the variants again (#23).
    variant_rows: dict[int, tuple] = field(default_factory=dict)


CENT = Decimal("0.01")


@functools.cache
def _cart_state_sql() -> str:
    # The cart page, the checkout page, every cart write and every order read a customer's
    # lines, coupons and loyalty choice; as three ORM queries, building them cost more CPU than
    # running them (#23). One statement both databases speak, names from the models' metadata.
    cart, item, discount = Cart._meta, CartItem._meta, CartDiscount._meta
    return CART_STATE_SQL.format(
        cart=cart.db_table,
        cart_id=cart.pk.column,
        cart_user=cart.get_field("user").column,
        coupon_codes=cart.get_field("coupon_codes").column,
        item=item.db_table,
        item_id=item.pk.column,
        item_cart=item.get_field("cart").column,
        variant=item.get_field("variant").column,
        quantity=item.get_field("quantity").column,
        price=item.get_field("price_at_add").column,
        added_at=item.get_field("added_at").column,
        discount=discount.db_table,
        discount_cart=discount.get_field("cart").column,
        kind=discount.get_field("kind").column,
        points=discount.get_field("points").column,
        reward=discount.get_field("reward_id").column,
        variant_table=ProductVariant._meta.db_table,
        variant_id=ProductVariant._meta.pk.column,
        variant_columns=rows.columns(ProductVariant, "v"),
    )


CART_STATE_SQL = (
    "SELECT c.{coupon_codes}, d.{kind}, d.{points}, d.{reward}, i.{variant}, i.{quantity}, i.{price},"
    " {variant_columns}"
    " FROM {cart} c"
    " LEFT JOIN {discount} d ON d.{discount_cart} = c.{cart_id}"
    " LEFT JOIN {item} i ON i.{item_cart} = c.{cart_id}"
    " LEFT JOIN {variant_table} v ON v.{variant_id} = i.{variant}"
    " WHERE c.{cart_user} = %s"
    " ORDER BY i.{added_at}, i.{item_id}"  # CartItem's own ordering: lines in the order added
)


@functools.cache
def _cart_write_sql(which: str) -> str:
    cart, item, discount = Cart._meta, CartItem._meta, CartDiscount._meta
    names = {
        "cart": cart.db_table,
        "cart_id": cart.pk.column,
        "cart_user": cart.get_field("user").column,
        "updated_at": cart.get_field("updated_at").column,
        "coupon_codes": cart.get_field("coupon_codes").column,
        "discount": discount.db_table,
        "discount_cart": discount.get_field("cart").column,
        "item": item.db_table,
        "item_cart": item.get_field("cart").column,
        "variant": item.get_field("variant").column,
        "quantity": item.get_field("quantity").column,
        "price": item.get_field("price_at_add").column,
        "added_at": item.get_field("added_at").column,
        "placing": cart.get_field("placing_order_number").column,
    }
    return CART_WRITE_SQL[which].format(**names)


# The values are bound parameters; the names come from the models' metadata.
CART_WRITE_SQL = {
    "quantity": "UPDATE {item} SET {quantity} = %s"
    " WHERE {variant} = %s AND {item_cart} = (SELECT {cart_id} FROM {cart} WHERE {cart_user} = %s)",
    "quantity_and_price": "UPDATE {item} SET {quantity} = %s, {price} = %s"
    " WHERE {variant} = %s AND {item_cart} = (SELECT {cart_id} FROM {cart} WHERE {cart_user} = %s)",
    # A new line, in the customer's cart if it has its row yet (no row: nothing is inserted).
    "add_line": "INSERT INTO {item} ({item_cart}, {variant}, {quantity}, {price}, {added_at})"
    " SELECT {cart_id}, %s, %s, %s, %s FROM {cart} WHERE {cart_user} = %s",
    "touch": "UPDATE {cart} SET {updated_at} = %s WHERE {cart_user} = %s",
    # The placement's marker on the cart row (mark_placing).
    "mark_placing": "UPDATE {cart} SET {placing} = %s WHERE {cart_user} = %s",
    # Emptying the cart once it is placed: its lines, the discount chosen and the coupons. Plain
    # deletes are safe because nothing points at these rows and nothing listens for their deletion
    # (tests/test_cart.py checks both).
    "clear_items": "DELETE FROM {item} WHERE {item_cart} = (SELECT {cart_id} FROM {cart} WHERE {cart_user} = %s)",
    "clear_discount": "DELETE FROM {discount}"
    " WHERE {discount_cart} = (SELECT {cart_id} FROM {cart} WHERE {cart_user} = %s)",
    "clear_coupons": "UPDATE {cart} SET {coupon_codes} = %s WHERE {cart_user} = %s",
    # PostgreSQL: the three in one statement (a writing WITH runs whether or not it is read).
    "clear_all": "WITH c AS (SELECT {cart_id} FROM {cart} WHERE {cart_user} = %s),"
    " i AS (DELETE FROM {item} WHERE {item_cart} IN (SELECT {cart_id} FROM c)),"
    " d AS (DELETE FROM {discount} WHERE {discount_cart} IN (SELECT {cart_id} FROM c))"
    " UPDATE {cart} SET {coupon_codes} = %s WHERE {cart_user} = %s",
}
# PostgreSQL: a line written and the cart's row marked in one statement each
# (DbCart._write_in_one_statement), built from the statements above: a new quantity, and an add
# that becomes an update when the line is there. The row is marked only when a line was
# written, so the count of rows updated says whether.
_MARK_WRITTEN = " UPDATE {cart} SET {updated_at} = %s WHERE {cart_id} IN (SELECT {item_cart} FROM line)"
CART_WRITE_SQL["quantity_and_touch"] = (
    f"WITH line AS ({CART_WRITE_SQL['quantity']} RETURNING {{item_cart}})" + _MARK_WRITTEN
)
CART_WRITE_SQL["line_and_touch"] = (
    f"WITH line AS ({CART_WRITE_SQL['add_line']}"
    " ON CONFLICT ({item_cart}, {variant}) DO UPDATE SET {quantity} = EXCLUDED.{quantity}, {price} = EXCLUDED.{price}"
    " RETURNING {item_cart})" + _MARK_WRITTEN
)


def _price(ops, price: Decimal):
    decimals = CartItem._meta.get_field("price_at_add")
    return ops.adapt_decimalfield_value(price, decimals.max_digits, decimals.decimal_places)


def _read_cart_state(user) -> _CartState:
    using = router.db_for_read(Cart)
    with connections[using].cursor() as cursor:
        cursor.execute(_cart_state_sql(), [user.pk])
        lines = cursor.fetchall()
    if not lines:
        return _CartState({}, [], None)
    codes, kind, points, reward_id = lines[0][:4]
    if isinstance(codes, str):  # JSON arrives as text on both backends, unless a driver decodes it
        codes = Cart._meta.get_field("coupon_codes").from_db_value(codes, None, connections[using])
    items = {
        variant: (int(quantity), Decimal(str(price)).quantize(CENT))
        for _, _, _, _, variant, quantity, price, *_ in lines
        if variant is not None
    }
    variant_rows = {line[4]: tuple(line[7:]) for line in lines if line[4] is not None}
    discount = {"kind": kind, "points": points, "reward_id": reward_id} if kind is not None else None
    return _CartState(items, list(codes or []), discount, variant_rows)


class DbCart:
    """A customer's cart. Its lines, coupons and loyalty choice are read together, once, and
    every write through this object forgets them, so the next read is fresh."""

    placement_outlives_items = False  # one row, read under its lock: an empty cart was placed

    def __init__(self, user):
        self.user = user
        self._cart = None
        self._state: _CartState | None = None
        self._writes = 0  # every write forgets what was read; counted, for set_item's commit

    @property
    def cart(self) -> Cart:
        if self._cart is None:
            self._cart, _ = Cart.objects.get_or_create(user=self.user)
        return self._cart

    def _read(self) -> _CartState:
        if self._state is None:
            self._state = _read_cart_state(self.user)
        return self._state

    def _forget(self) -> None:
        self._state = None
        self._writes += 1

    def items(self) -> dict[int, tuple[int, Decimal]]:
        return dict(self._read().items)

    def set_item(self, variant_id: int, quantity: int, price: Decimal | None = None):
        known = self._state
        self._forget()
        connection = connections[router.db_for_write(CartItem)]
        written = connection.vendor == "postgresql" and self._write_in_one_statement(
            connection, variant_id, quantity, price
        )
        if not written:
            written = self._write_in_a_transaction(connection, variant_id, quantity, price)
        if written and known is not None and (variant_id in known.items or price is not None):
            # A new quantity (the cart page's every click) changes that line and nothing else, so
            # what was read stands, with it changed, once the write is committed: the page shown
            # next needs no second read of the cart (#23). A new line (an add, which read the cart
            # to check the quantity) is what was read plus that line at the price just written:
            # the answer's cart count needs no second read either; its variant was not read with
            # the lines, so a page that shows them reads the variants (cart_variants). A line
            # this object never saw, written without a price (another request's), means reading
            # afresh.
            kept = known.items[variant_id][1] if price is None else Decimal(str(price)).quantize(CENT)
            items = {**known.items, variant_id: (int(quantity), kept)}
            after = _CartState(items, list(known.coupon_codes), known.discount, known.variant_rows)
            writes = self._writes
            transaction.on_commit(lambda: self._remember(after, writes), using=connection.alias)

    def _write_in_one_statement(self, connection, variant_id: int, quantity: int, price) -> bool:
        """PostgreSQL: the line and the cart's "in use" mark in one statement, which is atomic on
        its own: no BEGIN and COMMIT around it, three round trips fewer than a transaction's (#23,
        seventeenth round). A new quantity is an UPDATE of the line; an add, an INSERT that
        becomes an UPDATE when the line is there (the cart's unique line per variant). False
        when nothing was written: a line gone meanwhile, or no cart row yet (the customer's
        first line ever), which the transaction's path handles as it always has."""
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            if price is None:
                cursor.execute(
                    _cart_write_sql("quantity_and_touch"), [quantity, variant_id, self.user.pk, now]
                )
            else:
                cursor.execute(
                    _cart_write_sql("line_and_touch"),
                    [variant_id, quantity, _price(ops, price), now, self.user.pk, now],
                )
            return cursor.rowcount > 0

    @transaction.atomic
    def _write_in_a_transaction(self, connection, variant_id: int, quantity: int, price) -> int:
        # A line already in the cart is one UPDATE (the common case: a new quantity); a new line
        # one INSERT into the cart's row, which is made on the customer's first add. Then the
        # cart is marked as in use, for stale-cart clean-up. All are constant statements:
        # building them with the ORM cost more than running them (#23).
        ops = connection.ops
        with connection.cursor() as cursor:
            if price is None:
                cursor.execute(_cart_write_sql("quantity"), [quantity, variant_id, self.user.pk])
            else:
                cursor.execute(
                    _cart_write_sql("quantity_and_price"),
                    [quantity, _price(ops, price), variant_id, self.user.pk],
                )
            changed = cursor.rowcount
            if not changed and price is not None:  # a new line (the common add)
                cursor.execute(
                    _cart_write_sql("add_line"),
                    [
                        variant_id,
                        quantity,
                        _price(ops, price),
                        ops.adapt_datetimefield_value(timezone.now()),
                        self.user.pk,
                    ],
                )
                changed = cursor.rowcount
        if not changed:  # the customer's first line ever: their cart's row is made first
            CartItem.objects.create(
                cart=self.cart, variant_id=variant_id, quantity=quantity, price_at_add=price
            )
        with connection.cursor() as cursor:
            cursor.execute(
                _cart_write_sql("touch"), [ops.adapt_datetimefield_value(timezone.now()), self.user.pk]
            )
        return changed

    def _remember(self, state: _CartState, written: int) -> None:
        if self._writes == written and self._state is None:  # no write since, and not read afresh
            self._state = state

    def remove(self, variant_id: int):
        self._forget()
        CartItem.objects.filter(cart__user=self.user, variant_id=variant_id).delete()

    def variants(self) -> dict[int, ProductVariant]:
        """The lines' variants, as read with the lines (one statement for both, #23)."""
        using = router.db_for_read(Cart)
        return {
            pk: rows.from_row(ProductVariant, values, using)
            for pk, values in self._read().variant_rows.items()
        }

    def coupon_codes(self) -> list[str]:
        return list(self._read().coupon_codes)

    def set_coupon_codes(self, codes: list[str]):
        self._forget()
        Cart.objects.update_or_create(user=self.user, defaults={"coupon_codes": codes})

    def discount(self) -> dict | None:
        chosen = self._read().discount
        return dict(chosen) if chosen else None

    def set_discount(self, discount: dict | None):
        self._forget()
        if discount is None:
            CartDiscount.objects.filter(cart__user=self.user).delete()
        else:
            CartDiscount.objects.update_or_create(cart=self.cart, defaults=discount)

    def clear(self):
        self._forget()
        connection = connections[router.db_for_write(CartItem)]
        no_codes = Cart._meta.get_field("coupon_codes").get_db_prep_value([], connection)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # one statement, two round trips fewer (#23)
                cursor.execute(_cart_write_sql("clear_all"), [self.user.pk, no_codes, self.user.pk])
                return
            cursor.execute(_cart_write_sql("clear_items"), [self.user.pk])
            cursor.execute(_cart_write_sql("clear_discount"), [self.user.pk])
            cursor.execute(_cart_write_sql("clear_coupons"), [no_codes, self.user.pk])

    def count(self) -> int:
        return sum(quantity for quantity, _ in self._read().items.values())

    def lock_for_checkout(self) -> str:
        """Lock the cart row for the placing transaction, so that concurrent checkouts of one
        cart queue; returns the number of the order it was last placed as."""
        self._forget()  # what was read before the lock may have changed while waiting for it
        row = self._locked_placing()
        if row is None:
            Cart.objects.get_or_create(user=self.user)
            row = self._locked_placing()
        assert row is not None  # the row was just made
        return row

    def _locked_placing(self) -> str | None:
        """The cart row's placement marker, the row locked until the transaction ends (one
        constant statement: the ORM's locking query cost more to build than to run, #23)."""
        found = rows.locked(Cart, user_id=self.user.pk)
        return found[0].placing_order_number if found else None

    def mark_placing(self, order_number: str):
        connection = connections[router.db_for_write(Cart)]
        with connection.cursor() as cursor:
            cursor.execute(_cart_write_sql("mark_placing"), [order_number, self.user.pk])

    def placed_as(self, order_number: str) -> bool:
        return Cart.objects.filter(user=self.user, placing_order_number=order_number).exists()


def cart_for(request):
    """The cart of whoever makes the request."""
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return DbCart(user)
    return SessionCart(request.session)
