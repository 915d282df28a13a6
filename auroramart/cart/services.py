"""Cart changes, checked against stock with a clear message. Nothing here
reserves stock: that happens only when an order is placed."""

from datetime import timedelta

from django.conf import settings

from auroramart.catalog.models import Product
from auroramart.core.client import Shopper
from auroramart.core.events import publish
from auroramart.promotions.services import CouponError, can_combine, check_coupon, find_coupon

from .events import CartItemAdded
from .selectors import cart_summary
from .storage import DbCart, SessionCart


class CartError(Exception):
    pass


def _quantity(value) -> int:
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        raise CartError("Enter the quantity as a whole number.") from None
    if quantity < 0:
        raise CartError("The quantity cannot be negative.")
    if quantity > settings.CART_MAX_QUANTITY:
        raise CartError(f"You can buy at most {settings.CART_MAX_QUANTITY} of one product per order.")
    return quantity


def _product(product_id) -> Product:
    try:
        pk = int(product_id)
    except (TypeError, ValueError):
        raise CartError("That product does not exist.") from None
    product = Product.objects.filter(pk=pk).only("pk", "name", "price", "stock_quantity", "is_active").first()
    if product is None:
        raise CartError("That product does not exist.")
    if not product.is_active:
        raise CartError(f"{product.name} is no longer sold.")
    return product


def _check_stock(product: Product, quantity: int) -> None:
    if product.stock_quantity <= 0:
        raise CartError(f"Sorry, {product.name} is out of stock.")
    if quantity > product.stock_quantity:
        raise CartError(f"Only {product.stock_quantity} of {product.name} left in stock.")


def add_item(cart, *, product_id, quantity=1, shopper: Shopper | None = None, source: str = "") -> Product:
    """Add to the cart (checked against stock and the per-order limit). `shopper` is who added
    it and `source` where from ("rec:<slot>"), for CartItemAdded: analytics and recommendation
    tracking count the add."""
    quantity = _quantity(quantity)
    if quantity == 0:
        raise CartError("Choose a quantity of at least 1.")
    product = _product(product_id)
    current = cart.items().get(product.pk, (0, None))[0]
    total = current + quantity
    if total > settings.CART_MAX_QUANTITY:
        raise CartError(f"You can buy at most {settings.CART_MAX_QUANTITY} of one product per order.")
    _check_stock(product, total)
    cart.set_item(product.pk, total, product.price if current == 0 else None)
    shopper = shopper or Shopper()
    publish(
        CartItemAdded(
            product=product,
            quantity=quantity,
            user_id=shopper.user_id,
            visitor=shopper.visitor,
            source=source,
        )
    )
    return product


def set_quantity(cart, *, product_id, quantity) -> None:
    quantity = _quantity(quantity)
    items = cart.items()
    try:
        pk = int(product_id)
    except (TypeError, ValueError):
        raise CartError("That product is not in your cart.") from None
    if pk not in items:
        raise CartError("That product is not in your cart.")
    if quantity == 0:
        cart.remove(pk)
        return
    product = _product(pk)
    _check_stock(product, quantity)
    cart.set_item(pk, quantity)


def remove_item(cart, *, product_id) -> None:
    try:
        cart.remove(int(product_id))
    except (TypeError, ValueError):
        raise CartError("That product is not in your cart.") from None


def apply_coupon(cart, *, code: str, user) -> str:
    try:
        coupon = find_coupon(code)
        codes = cart.coupon_codes()
        if coupon.code.upper() in (c.upper() for c in codes):
            raise CouponError(f"The coupon {coupon.code} is already applied.")
        summary = cart_summary(cart, user=user)
        if summary.is_empty:
            raise CouponError("Add something to your cart before applying a coupon.")
        check_coupon(coupon, user=user, subtotal=summary.subtotal)
        others = [c for c, _ in summary.coupons]
        if not can_combine([*others, coupon], settings.MAX_COUPONS_PER_ORDER):
            raise CouponError("Only one coupon can be used per order. Remove the other coupon first.")
    except CouponError as exc:
        raise CartError(str(exc)) from None
    cart.set_coupon_codes([*codes, coupon.code])
    return coupon.code


def remove_coupon(cart, *, code: str) -> None:
    cart.set_coupon_codes([c for c in cart.coupon_codes() if c.upper() != (code or "").upper()])


def merge_into(target, source) -> None:
    """Move a guest's session cart into the customer's cart at sign-in.

    Quantities of the same product add up, capped by stock and the per-order
    limit; coupons carry over; the session cart is emptied.
    """
    source_items = source.items()
    if not source_items and not source.coupon_codes():
        return
    existing = target.items()
    products = {p.pk: p for p in Product.objects.filter(pk__in=source_items, is_active=True)}
    for pid, (quantity, price) in source_items.items():
        product = products.get(pid)
        if product is None:
            continue
        have = existing.get(pid, (0, price))
        total = min(have[0] + quantity, product.stock_quantity, settings.CART_MAX_QUANTITY)
        if total > 0:
            target.set_item(pid, total, have[1] if pid in existing else price)
    codes = target.coupon_codes()
    for code in source.coupon_codes():
        if code.upper() not in (c.upper() for c in codes):
            codes.append(code)
    target.set_coupon_codes(codes[: max(settings.MAX_COUPONS_PER_ORDER, len(target.coupon_codes()))])
    source.clear()


def merge_session_cart(*, user, session) -> None:
    """At sign-in in a browser, the guest's session cart joins the customer's saved cart."""
    if session is not None and not user.is_staff:
        merge_into(DbCart(user), SessionCart(session))


def clear_stale_carts(days: int | None = None) -> dict:
    """Empty customers' carts untouched for `days` (default CART_STALE_DAYS), and
    drop expired sessions, where guests' carts live."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from .models import Cart

    cutoff = timezone.now() - timedelta(days=days or settings.CART_STALE_DAYS)
    carts, _ = Cart.objects.filter(updated_at__lt=cutoff).delete()
    sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"carts": carts, "sessions": sessions}
