"""What a cart costs: lines at today's prices, coupons, loyalty points, shipping
and the GST included. The cart page, checkout and order placement all price a
cart here, so what the customer saw is what the order charges."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from auroramart.catalog.models import Product, ProductVariant
from auroramart.core.money import quantize
from auroramart.promotions.models import Coupon
from auroramart.promotions.services import CouponError, check_coupon, coupon_discount

ZERO = Decimal("0.00")


@dataclass
class Line:
    variant: ProductVariant
    quantity: int
    unit_price: Decimal
    price_at_add: Decimal
    problem: str = ""

    @property
    def product(self) -> Product:
        return self.variant.product

    @property
    def display_name(self) -> str:
        return self.variant.display_name

    @property
    def line_total(self) -> Decimal:
        return quantize(self.unit_price * self.quantity)

    @property
    def price_changed(self) -> bool:
        return self.price_at_add != self.unit_price

    @property
    def price_went_up(self) -> bool:
        return self.unit_price > self.price_at_add


@dataclass
class CartSummary:
    lines: list[Line]
    subtotal: Decimal = ZERO
    coupons: list[tuple[Coupon, Decimal]] = field(default_factory=list)
    coupon_errors: list[str] = field(default_factory=list)
    free_shipping_coupon: Coupon | None = None
    points: int = 0
    points_discount: Decimal = ZERO
    reward: object | None = None
    reward_discount: Decimal = ZERO
    shipping_method: str = "standard"
    shipping_fee: Decimal = ZERO
    shipping_label: str = ""
    free_shipping_remaining: Decimal | None = None
    total: Decimal = ZERO
    gst_included: Decimal = ZERO

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def coupon_total(self) -> Decimal:
        return sum((amount for _, amount in self.coupons), ZERO)

    @property
    def merchandise_after_discounts(self) -> Decimal:
        """Merchandise after coupons and rewards: what loyalty points are earned on."""
        return max(ZERO, self.subtotal - self.coupon_total - self.reward_discount)

    @property
    def problems(self) -> list[str]:
        return [f"{line.display_name}: {line.problem}" for line in self.lines if line.problem]

    @property
    def is_empty(self) -> bool:
        return not self.lines


def gst_included(total: Decimal) -> Decimal:
    """The GST inside a GST-inclusive total (GST_RATE), rounded once, to the cent."""
    rate = settings.GST_RATE
    return quantize(total * rate / (1 + rate))


def shipping_for(method: str, merchandise: Decimal, free: bool) -> tuple[Decimal, str, Decimal | None]:
    label, fee, free_above, _ = settings.SHIPPING_METHODS.get(method, settings.SHIPPING_METHODS["standard"])
    if free:
        return ZERO, label, None
    if free_above is not None:
        if merchandise >= free_above:
            return ZERO, label, None
        return fee, label, quantize(free_above - merchandise)
    return fee, label, None


def price_cart(
    *,
    items: dict[int, tuple[int, Decimal]],
    variants: dict[int, ProductVariant],
    coupons: list[Coupon] = (),
    user=None,
    email: str = "",
    points: int = 0,
    reward=None,
    shipping_method: str = "standard",
) -> CartSummary:
    """Price a cart: `items` maps variant ids to (quantity, price when added), `variants` holds
    those variants with their products."""
    lines = []
    for vid, (quantity, price_at_add) in items.items():
        variant = variants.get(vid)
        if variant is None:
            continue  # a variant that no longer exists simply drops out of the cart
        line = Line(variant=variant, quantity=quantity, unit_price=variant.price, price_at_add=price_at_add)
        if not (variant.is_active and variant.product.is_active):
            line.problem = "no longer sold"
        elif variant.stock_quantity <= 0:
            line.problem = "out of stock"
        elif quantity > variant.stock_quantity:
            line.problem = f"only {variant.stock_quantity} left"
        lines.append(line)
    summary = CartSummary(lines=lines, shipping_method=shipping_method)
    summary.subtotal = quantize(sum((line.line_total for line in lines), ZERO))

    remaining = summary.subtotal
    for coupon in coupons:
        try:
            check_coupon(coupon, user=user, subtotal=summary.subtotal, email=email)
        except CouponError as exc:
            summary.coupon_errors.append(str(exc))
            continue
        if coupon.kind == Coupon.Kind.FREE_SHIPPING:
            summary.free_shipping_coupon = coupon
            summary.coupons.append((coupon, ZERO))
            continue
        amount = coupon_discount(coupon, remaining)
        remaining -= amount
        summary.coupons.append((coupon, amount))

    if reward is not None:
        summary.reward = reward
        summary.reward_discount, free_from_reward = reward.discount_for(remaining)
        remaining -= summary.reward_discount
    else:
        free_from_reward = False

    fee, label, to_free = shipping_for(
        shipping_method, remaining, free=summary.free_shipping_coupon is not None or free_from_reward
    )
    summary.shipping_fee, summary.shipping_label, summary.free_shipping_remaining = fee, label, to_free
    before_points = remaining + fee
    # Points are spent in whole dollars, up to what is left to pay.
    per_dollar = settings.LOYALTY_REDEEM_POINTS_PER_DOLLAR
    usable_dollars = min(points // per_dollar, int(before_points))
    summary.points = usable_dollars * per_dollar
    summary.points_discount = Decimal(usable_dollars).quantize(Decimal("0.01"))
    summary.total = quantize(before_points - summary.points_discount)
    summary.gst_included = gst_included(summary.total)
    return summary
