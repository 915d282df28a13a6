"""Cart changes, checked against stock with a clear message. Nothing here
reserves stock: that happens only when an order is placed."""

from datetime import timedelta

from django.conf import settings

from auroramart.catalog.models import ProductVariant
from auroramart.catalog.variants import default_variant
from auroramart.core.client import Shopper
from auroramart.core.events import publish
from auroramart.promotions.services import CouponError, can_combine, check_coupon, find_coupon

from .events import CartItemAdded
from .selectors import cart_summary, cart_variants
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


def _id(value, message: str) -> int:
    try:
        pk = int(str(value).strip())
    except (TypeError, ValueError):
        raise CartError(message) from None
    if not 0 < pk < 2**63:
        raise CartError(message)
    return pk


def _variant(*, variant_id=None, product_id=None, default: bool = False, read=None) -> ProductVariant:
    """The variant to add: the one named, or a product's only variant. A product sold in
    several variants needs the shopper's choice, unless `default` takes its default variant
    (the first in stock; "add all" of frequently bought together). `read`: the cart's variants
    as read with its lines, when it has them (cart_variants)."""
    variant = None
    if variant_id not in (None, ""):
        pk = _id(variant_id, "That product does not exist.")
        # As the cart shows it: the variant live (or as read with the cart's lines), its product held.
        variant = cart_variants([pk], read).get(pk)
        if (
            variant is not None
            and product_id not in (None, "")
            and variant.product_id != _id(product_id, "That product does not exist.")
        ):
            variant = None  # both named: the variant must be that product's
    if variant is None and product_id not in (None, "") and (variant_id in (None, "") or default):
        # Built only here: a query set made up front for every add and quantity change cost more
        # than the rest of choosing the variant (#23).
        variants = ProductVariant.objects.select_related("product").only(
            "pk", "name", "price", "stock_quantity", "is_active", "product__name", "product__is_active"
        )
        choices: list[ProductVariant] = list(
            variants.filter(product_id=_id(product_id, "That product does not exist."), is_active=True)[:2]
        )
        fallback = default_variant(choices[0].product) if len(choices) > 1 and default else None
        if fallback is not None:
            choices = [fallback]
        if len(choices) > 1:
            names = list(choices[0].product.options.values_list("name", flat=True)) or ["an option"]
            raise CartError(
                f"Choose a {' and a '.join(n.lower() for n in names)} of {choices[0].product.name} first."
            )
        variant = choices[0] if choices else None
    if variant is None:
        raise CartError("That product does not exist.")
    if not (variant.is_active and variant.product.is_active):
        raise CartError(f"{variant.display_name} is no longer sold.")
    return variant


def _check_stock(variant: ProductVariant, quantity: int) -> None:
    if variant.stock_quantity <= 0:
        raise CartError(f"Sorry, {variant.display_name} is out of stock.")
    if quantity > variant.stock_quantity:
        raise CartError(f"Only {variant.stock_quantity} of {variant.display_name} left in stock.")


def add_item(
    cart,
    *,
    variant_id=None,
    product_id=None,
    quantity=1,
    shopper: Shopper | None = None,
    source: str = "",
    default: bool = False,
) -> ProductVariant:
    """Add a variant to the cart (checked against its stock and the per-order limit); a
    product with one variant may be named instead. `shopper` is who added it and `source`
    where from ("rec:<slot>"), for CartItemAdded: analytics and recommendation tracking
    count the add."""
    quantity = _quantity(quantity)
    if quantity == 0:
        raise CartError("Choose a quantity of at least 1.")
    variant = _variant(variant_id=variant_id, product_id=product_id, default=default)
    current = cart.items().get(variant.pk, (0, None))[0]
    total = current + quantity
    if total > settings.CART_MAX_QUANTITY:
        raise CartError(f"You can buy at most {settings.CART_MAX_QUANTITY} of one product per order.")
    _check_stock(variant, total)
    cart.set_item(variant.pk, total, variant.price if current == 0 else None)
    shopper = shopper or Shopper()
    publish(
        CartItemAdded(
            product=variant.product,
            variant=variant,
            quantity=quantity,
            user_id=shopper.user_id,
            visitor=shopper.visitor,
            source=source,
        )
    )
    return variant


def set_quantity(cart, *, variant_id, quantity) -> str:
    """A new quantity for a line; 0 removes it. What the shopper is told ("" when nothing
    needs saying: the line shows its new quantity)."""
    quantity = _quantity(quantity)
    items = cart.items()
    pk = _id(variant_id, "That product is not in your cart.")
    if pk not in items:
        raise CartError("That product is not in your cart.")
    if quantity == 0:
        return remove_item(cart, variant_id=pk)
    variant = _variant(variant_id=pk, read=cart.variants())  # read with the lines (#23)
    _check_stock(variant, quantity)
    cart.set_item(pk, quantity)
    return ""


def remove_item(cart, *, variant_id) -> str:
    """Take a line out of the cart; says which, so a line never disappears without a word."""
    pk = _id(variant_id, "That product is not in your cart.")
    cart.remove(pk)
    variant = cart_variants([pk]).get(pk)
    name = variant.display_name if variant else "The item"
    return f"{name} was removed from your cart."


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

    Quantities of the same variant add up, capped by stock and the per-order
    limit; coupons carry over; the session cart is emptied.
    """
    source_items = source.items()
    if not source_items and not source.coupon_codes():
        return
    existing = target.items()
    variants = {
        v.pk: v
        for v in ProductVariant.objects.filter(pk__in=source_items, is_active=True, product__is_active=True)
    }
    for vid, (quantity, price) in source_items.items():
        variant = variants.get(vid)
        if variant is None:
            continue
        have = existing.get(vid, (0, price))
        total = min(have[0] + quantity, variant.stock_quantity, settings.CART_MAX_QUANTITY)
        if total > 0:
            target.set_item(vid, total, have[1] if vid in existing else price)
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
