from collections.abc import Callable

from auroramart.catalog.models import ProductVariant
from auroramart.catalog.selectors import products_by_id
from auroramart.core.events import ExtensionPoint
from auroramart.core.rows import by_pk
from auroramart.promotions.models import Coupon

from .pricing import CartSummary, price_cart

pricing_choices: ExtensionPoint[Callable[..., dict]] = ExtensionPoint(
    "cart.pricing_choices",
    "(cart, user) -> keyword arguments for price_cart: the loyalty points or reward the customer chose.",
)


def pricing_extras(cart, user) -> dict:
    extras: dict = {}
    for provider in pricing_choices:
        extras.update(provider(cart, user))
    return extras


def cart_variants(variant_ids, read: dict[int, ProductVariant] | None = None) -> dict[int, ProductVariant]:
    """The cart's variants, read live (price, stock, whether on sale), with their products,
    brands and primary pictures (held per catalog version): two queries at most, whatever
    the number of lines; none when `read` (a customer's cart's `variants()`, read with its
    lines) has them all."""
    wanted = list(variant_ids)
    if read and all(pk in read for pk in wanted):
        variants = [read[pk] for pk in wanted]
    else:
        variants = by_pk(ProductVariant, wanted)
    products = products_by_id({v.product_id for v in variants})
    for variant in variants:
        variant.product = products[variant.product_id]
    return {v.pk: v for v in variants}


def cart_product_ids(cart) -> set[int]:
    """The products in a cart (its lines are variants), in one query."""
    items = cart.items()
    if not items:
        return set()
    return set(ProductVariant.objects.filter(pk__in=list(items)).values_list("product_id", flat=True))


def cart_summary(
    cart, *, user=None, shipping_method: str = "standard", destination=None, email: str = ""
) -> CartSummary:
    """The cart priced for `destination` (a shipping.selectors.Destination; the shop's own
    country when None, as on the cart page)."""
    items = cart.items()
    variants = cart_variants(items, cart.variants()) if items else {}
    codes = cart.coupon_codes()
    coupons = []
    if codes:
        by_code = {c.code.upper(): c for c in Coupon.objects.filter(code__in=codes)}
        coupons = [by_code[c.upper()] for c in codes if c.upper() in by_code]
    return price_cart(
        items=items,
        variants=variants,
        coupons=coupons,
        user=user,
        email=email,
        shipping_method=shipping_method,
        destination=destination,
        **pricing_extras(cart, user),
    )
