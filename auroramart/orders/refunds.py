"""What each line of an order was really paid, and so what returning some of it gives back.

An order's discounts are order-level: coupons and rewards come off the merchandise, loyalty
points off merchandise and delivery together. The invoice spreads them over the lines in
proportion to what each line cost, and a return refunds that share and nothing else:

1. coupons and rewards (`discount_total`) are split over the lines by line total;
2. points (`points_discount`) are split over those lines' remainders and the delivery fee;
3. every split is in whole cents, the cents left over going to the largest remainders (ties
   to the earlier line), so the lines and delivery add up to the order's total exactly.

Returning k of a line's n units refunds the line's paid amount times (r + k) / n, rounded,
less what its r earlier returned units refunded, so returning every unit, in any number of
returns, refunds the line's paid amount to the cent.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from auroramart.core.money import CENT, quantize

ZERO = Decimal("0.00")


def split(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` in whole cents, in proportion to `weights` (largest remainder, ties to the first)."""
    cents = int(quantize(amount) / CENT)
    total = sum(weights, Decimal("0"))
    if not weights:
        return []
    if total <= 0 or cents == 0:
        return [ZERO] * len(weights)
    exact = [Fraction(cents) * Fraction(w) / Fraction(total) for w in weights]
    shares = [int(e) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: cents - sum(shares)]:
        shares[i] += 1
    return [Decimal(s) * CENT for s in shares]


@dataclass(frozen=True)
class LineShare:
    """One order line: its total, its share of coupons and of points, and what was paid for it."""

    item_id: int
    quantity: int
    line_total: Decimal
    coupon_share: Decimal
    points_share: Decimal

    @property
    def before_points(self) -> Decimal:
        """What loyalty points were earned on: the line after coupons and rewards."""
        return self.line_total - self.coupon_share

    @property
    def paid(self) -> Decimal:
        return self.line_total - self.coupon_share - self.points_share

    def paid_for_units(self, before: int, units: int) -> Decimal:
        """What `units` more units refund, after `before` units were returned already."""
        return self._upto(before + units) - self._upto(before)

    def _upto(self, units: int) -> Decimal:
        return quantize(self.paid * units / self.quantity)


@dataclass(frozen=True)
class Allocation:
    lines: dict[int, LineShare]
    shipping_fee: Decimal
    shipping_points_share: Decimal

    @property
    def shipping_paid(self) -> Decimal:
        return self.shipping_fee - self.shipping_points_share

    @property
    def total(self) -> Decimal:
        return sum((line.paid for line in self.lines.values()), ZERO) + self.shipping_paid


def allocate(order, items) -> Allocation:
    """Spread the order's discounts over `items` (all of the order's lines) as the invoice does."""
    items = sorted(items, key=lambda i: i.pk)
    totals = [i.line_total for i in items]
    coupons = split(order.discount_total, totals)
    remainders = [t - c for t, c in zip(totals, coupons, strict=True)]
    points = split(order.points_discount, remainders + [order.shipping_fee])
    lines = {
        item.pk: LineShare(item.pk, item.quantity, item.line_total, coupon, point)
        for item, coupon, point in zip(items, coupons, points, strict=False)
    }
    return Allocation(lines=lines, shipping_fee=order.shipping_fee, shipping_points_share=points[-1])


def share_returned(
    allocation: Allocation, returned: dict[int, int], shipping: bool
) -> tuple[Fraction, Fraction]:
    """The share of the points earned and of the points spent that units `returned`
    ({item id: units}, cumulative) and, with `shipping`, the delivery fee, take back."""
    earned_base = sum((line.before_points for line in allocation.lines.values()), ZERO)
    earned = sum(
        (
            Fraction(line.before_points) * returned.get(pk, 0) / line.quantity
            for pk, line in allocation.lines.items()
        ),
        Fraction(0),
    )
    spent_base = sum(
        (line.points_share for line in allocation.lines.values()), allocation.shipping_points_share
    )
    spent = sum(
        (
            Fraction(line.points_share) * returned.get(pk, 0) / line.quantity
            for pk, line in allocation.lines.items()
        ),
        Fraction(0),
    ) + (Fraction(allocation.shipping_points_share) if shipping else 0)
    return (
        earned / Fraction(earned_base) if earned_base else Fraction(0),
        spent / Fraction(spent_base) if spent_base else Fraction(0),
    )
