"""What each line of an order was really paid, and so what returning some of it gives back.

An order's discounts are order-level: coupons and rewards come off the merchandise, loyalty
points off merchandise and delivery together. The invoice spreads them over the lines in
proportion to what each line cost, and a return refunds that share and nothing else:

1. coupons and rewards (`discount_total`) are split over the lines by line total;
2. points (`points_discount`) are split over those lines' remainders and the delivery fee;
3. every split is in whole cents, the cents left over going to the largest remainders (ties
   to the earlier line), so the lines and delivery add up to the order's total exactly;
4. with prices entered without tax, each line's tax (stored on it at placement) is part of
   what it was paid.

Placement prices a cart by this same split (cart.pricing.spread_discounts), so the tax on
each line was computed on exactly what a return of it refunds.

Returning k of a line's n units refunds the line's paid amount times (r + k) / n, rounded,
less what its r earlier returned units refunded, so returning every unit, in any number of
returns, refunds the line's paid amount to the cent.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from auroramart.cart.pricing import spread_discounts
from auroramart.core.money import quantize

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineShare:
    """One order line: its total, its share of coupons and of points, its tax, and what was
    paid for it (with the tax when prices were entered without it)."""

    item_id: int
    quantity: int
    line_total: Decimal
    coupon_share: Decimal
    points_share: Decimal
    tax: Decimal = ZERO
    tax_added: bool = False

    @property
    def before_points(self) -> Decimal:
        """What loyalty points were earned on: the line after coupons and rewards."""
        return self.line_total - self.coupon_share

    @property
    def paid(self) -> Decimal:
        return (
            self.line_total - self.coupon_share - self.points_share + (self.tax if self.tax_added else ZERO)
        )

    def paid_for_units(self, before: int, units: int) -> Decimal:
        """What `units` more units refund, after `before` units were returned already."""
        return self._upto(self.paid, before + units) - self._upto(self.paid, before)

    def tax_for_units(self, before: int, units: int) -> Decimal:
        """The tax in that refund, by the same rule."""
        return self._upto(self.tax, before + units) - self._upto(self.tax, before)

    def _upto(self, amount: Decimal, units: int) -> Decimal:
        return quantize(amount * units / self.quantity)


@dataclass(frozen=True)
class Allocation:
    lines: dict[int, LineShare]
    shipping_fee: Decimal
    shipping_points_share: Decimal
    shipping_tax: Decimal = ZERO
    tax_added: bool = False

    @property
    def shipping_paid(self) -> Decimal:
        return (
            self.shipping_fee - self.shipping_points_share + (self.shipping_tax if self.tax_added else ZERO)
        )

    @property
    def total(self) -> Decimal:
        return sum((line.paid for line in self.lines.values()), ZERO) + self.shipping_paid


def allocate(order, items) -> Allocation:
    """Spread the order's discounts over `items` (all of the order's lines) as placement and the
    invoice did (cart.pricing.spread_discounts)."""
    items = sorted(items, key=lambda i: i.pk)
    coupons, points, shipping_points = spread_discounts(
        [i.line_total for i in items], order.discount_total, order.points_discount, order.shipping_fee
    )
    added = not order.prices_include_tax
    lines = {
        item.pk: LineShare(item.pk, item.quantity, item.line_total, coupon, point, item.tax_amount, added)
        for item, coupon, point in zip(items, coupons, points, strict=True)
    }
    return Allocation(lines, order.shipping_fee, shipping_points, order.shipping_tax, added)


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
