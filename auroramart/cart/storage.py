"""Where a cart lives: in the session for guests, in the database for customers.
Both offer the same small interface, so the cart services need not care. A cart line is
a variant: items are keyed by variant id."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

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
        rows = self._checkout_row()
        if not rows.exists():
            Cart.objects.get_or_create(session_key=self.session.session_key)
        placing = rows.select_for_update().values_list("placing_order_number", flat=True).get()
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


class DbCart:
    placement_outlives_items = False  # one row, read under its lock: an empty cart was placed

    def __init__(self, user):
        self.user = user
        self._cart = None

    @property
    def cart(self) -> Cart:
        if self._cart is None:
            self._cart, _ = Cart.objects.get_or_create(user=self.user)
        return self._cart

    def items(self) -> dict[int, tuple[int, Decimal]]:
        return {
            vid: (q, p)
            for vid, q, p in CartItem.objects.filter(cart__user=self.user).values_list(
                "variant_id", "quantity", "price_at_add"
            )
        }

    @transaction.atomic
    def set_item(self, variant_id: int, quantity: int, price: Decimal | None = None):
        defaults = {"quantity": quantity}
        if price is not None:
            defaults["price_at_add"] = price
        item = CartItem.objects.filter(cart=self.cart, variant_id=variant_id).first()
        if item is None:
            CartItem.objects.create(
                cart=self.cart, variant_id=variant_id, quantity=quantity, price_at_add=price
            )
        else:
            CartItem.objects.filter(pk=item.pk).update(**defaults)
        self.cart.save(update_fields=["updated_at"])  # marks the cart as in use, for stale-cart clean-up

    def remove(self, variant_id: int):
        CartItem.objects.filter(cart__user=self.user, variant_id=variant_id).delete()

    def coupon_codes(self) -> list[str]:
        cart = Cart.objects.filter(user=self.user).only("coupon_codes").first()
        return list(cart.coupon_codes) if cart else []

    def set_coupon_codes(self, codes: list[str]):
        Cart.objects.update_or_create(user=self.user, defaults={"coupon_codes": codes})

    def discount(self) -> dict | None:
        row = CartDiscount.objects.filter(cart__user=self.user).values("kind", "points", "reward_id").first()
        return row

    def set_discount(self, discount: dict | None):
        if discount is None:
            CartDiscount.objects.filter(cart__user=self.user).delete()
        else:
            CartDiscount.objects.update_or_create(cart=self.cart, defaults=discount)

    def clear(self):
        CartItem.objects.filter(cart__user=self.user).delete()
        CartDiscount.objects.filter(cart__user=self.user).delete()
        Cart.objects.filter(user=self.user).update(coupon_codes=[])

    def count(self) -> int:
        return CartItem.objects.filter(cart__user=self.user).aggregate(n=Sum("quantity"))["n"] or 0

    def lock_for_checkout(self) -> str:
        """Lock the cart row for the placing transaction, so that concurrent checkouts of one
        cart queue; returns the number of the order it was last placed as."""
        locked = Cart.objects.select_for_update().filter(user=self.user)
        row = locked.values_list("placing_order_number", flat=True).first()
        if row is None:
            Cart.objects.get_or_create(user=self.user)
            row = locked.values_list("placing_order_number", flat=True).get()
        return row

    def mark_placing(self, order_number: str):
        Cart.objects.filter(user=self.user).update(placing_order_number=order_number)

    def placed_as(self, order_number: str) -> bool:
        return Cart.objects.filter(user=self.user, placing_order_number=order_number).exists()


def cart_for(request):
    """The cart of whoever makes the request."""
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return DbCart(user)
    return SessionCart(request.session)
