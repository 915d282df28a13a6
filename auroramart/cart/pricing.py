"""What a cart costs: lines at today's prices, coupons, loyalty points, delivery to an
address (its shipping zone's methods) and the tax (its zone's rate for each line's tax
class). The cart page, checkout and order placement all price a cart here, so what the
customer saw is what the order charges.

Order of the sums: coupons and rewards come off the merchandise; delivery is priced on what
is left; points come off merchandise and delivery together. The discounts are then spread over
the lines (spread_discounts, the split an invoice shows and a return refunds by), and each
line's tax is computed on what it is paid, rounded per line (tax/selectors.py). With prices
entered tax-inclusive the total is what it was before tax was looked at; tax-exclusive, the
lines' and the delivery's tax is added on top.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from auroramart.catalog.models import Product, ProductVariant
from auroramart.core.money import quantize, split
from auroramart.promotions.models import Coupon
from auroramart.promotions.services import CouponError, check_coupon, coupon_discount
from auroramart.shipping.selectors import Destination, Quote, quotes_in, zone_for
from auroramart.tax.selectors import Rate, class_of, rate_for, tax_on
from auroramart.tax.selectors import config as tax_config

ZERO = Decimal("0.00")


@dataclass
class Line:
    variant: ProductVariant
    quantity: int
    unit_price: Decimal
    price_at_add: Decimal
    problem: str = ""
    tax: Rate | None = None
    tax_amount: Decimal = ZERO

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
    shipping_estimate: str = ""
    free_shipping_remaining: Decimal | None = None
    # Where it goes, the methods that serve it, and why it cannot be delivered if it cannot.
    destination: Destination | None = None
    shipping_options: list[Quote] = field(default_factory=list)
    shipping_problem: str = ""
    shipping_tax: Decimal = ZERO
    zone_id: int | None = None  # the shipping zone of the destination: its tax rates apply
    prices_include_tax: bool = True
    tax_lines: list[dict] = field(default_factory=list)  # by rate: label, rate, taxable, tax
    total: Decimal = ZERO
    gst_included: Decimal = ZERO  # the tax in the total, whatever its name

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


def spread_discounts(
    line_totals: list[Decimal], discount: Decimal, points: Decimal, shipping_fee: Decimal
) -> tuple[list[Decimal], list[Decimal], Decimal]:
    """The one split of an order's discounts over its lines: coupons and rewards by line total;
    points by what is left of each line and the delivery fee. Returns each line's coupon share,
    each line's points share, and the delivery's points share (whole cents, core.money.split)."""
    coupons = split(discount, line_totals)
    remainders = [t - c for t, c in zip(line_totals, coupons, strict=True)]
    points_shares = split(points, remainders + [shipping_fee])
    return coupons, points_shares[:-1], points_shares[-1]


def price_cart(
    *,
    items: dict[int, tuple[int, Decimal]],
    variants: dict[int, ProductVariant],
    coupons: Sequence[Coupon] = (),
    user=None,
    email: str = "",
    points: int = 0,
    reward=None,
    shipping_method: str = "standard",
    destination: Destination | None = None,
) -> CartSummary:
    """Price a cart: `items` maps variant ids to (quantity, price when added), `variants` holds
    those variants with their products (and the products' categories, for the tax class).
    Without a `destination` (the cart page) delivery is estimated for the shop's own country."""
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

    fee = _delivery(
        summary, destination, remaining, free=summary.free_shipping_coupon is not None or free_from_reward
    )
    before_points = remaining + fee
    # Points are spent in whole dollars, up to what is left to pay.
    per_dollar = settings.LOYALTY_REDEEM_POINTS_PER_DOLLAR
    usable_dollars = min(points // per_dollar, int(before_points))
    summary.points = usable_dollars * per_dollar
    summary.points_discount = Decimal(usable_dollars).quantize(Decimal("0.01"))
    tax_total = _tax(summary, fee)
    added = ZERO if summary.prices_include_tax else tax_total
    summary.total = quantize(before_points - summary.points_discount + added)
    summary.gst_included = tax_total
    return summary


def _delivery(
    summary: CartSummary, destination: Destination | None, merchandise: Decimal, *, free: bool
) -> Decimal:
    """The chosen method's fee for this address (or the home country's, on the cart page), and
    what the summary shows about delivery; a problem when nothing or not this method serves it."""
    summary.destination = destination or Destination()
    if not summary.lines:
        return ZERO  # nothing to deliver
    grams = sum((line.variant.weight_grams or 0) * line.quantity for line in summary.lines)
    zone = zone_for(summary.destination)
    summary.zone_id = zone.pk if zone else None
    summary.shipping_options = quotes_in(
        zone, summary.destination, merchandise=merchandise, grams=grams, free=free
    )
    chosen = next((q for q in summary.shipping_options if q.code == summary.shipping_method), None)
    if chosen is None and destination is None and summary.shipping_options:
        chosen = summary.shipping_options[0]  # the cart page's estimate: the first method home
    if chosen is None:
        summary.shipping_problem = (
            f"We do not deliver to {summary.destination.describe()} yet."
            if not summary.shipping_options
            else "Choose one of the delivery options for this address."
        )
        return ZERO
    summary.shipping_method = chosen.code
    summary.shipping_label, summary.shipping_estimate = chosen.name, chosen.estimate
    summary.free_shipping_remaining = chosen.free_remaining
    summary.shipping_fee = chosen.fee
    return chosen.fee


def _tax(summary: CartSummary, fee: Decimal) -> Decimal:
    """Each line's tax on what it is paid after its share of the discounts (the split
    spread_discounts makes), rounded per line; the delivery's likewise. Returns the total and
    fills the summary's lines and breakdown by rate."""
    summary.prices_include_tax = settings.PRICES_INCLUDE_TAX
    zone_id, cfg = summary.zone_id, tax_config()
    coupons, points, shipping_points = spread_discounts(
        [line.line_total for line in summary.lines],
        quantize(summary.coupon_total + summary.reward_discount),
        summary.points_discount,
        fee,
    )
    by_rate: dict[str, dict] = {}

    def add(rate: Rate, amount: Decimal) -> Decimal:
        tax = tax_on(amount, rate)
        row = by_rate.setdefault(
            rate.label, {"label": rate.label, "rate": str(rate.rate), "taxable": ZERO, "tax": ZERO}
        )
        row["taxable"] += amount - (tax if summary.prices_include_tax else ZERO)
        row["tax"] += tax
        return tax

    for line, coupon, point in zip(summary.lines, coupons, points, strict=True):
        line.tax = rate_for(zone_id, class_of(line.product, cfg), cfg)
        line.tax_amount = add(line.tax, line.line_total - coupon - point)
    summary.shipping_tax = (
        add(rate_for(zone_id, settings.SHIPPING_TAX_CLASS, cfg), fee - shipping_points) if fee else ZERO
    )
    summary.tax_lines = [
        {**row, "taxable": str(row["taxable"]), "tax": str(row["tax"])}
        for row in sorted(by_rate.values(), key=lambda r: (-Decimal(r["rate"]), r["label"]))
        if row["taxable"] or row["tax"]
    ]
    return quantize(sum((line.tax_amount for line in summary.lines), summary.shipping_tax))
