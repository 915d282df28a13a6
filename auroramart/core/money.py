"""One rounding rule and one formatting helper for every amount of money."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

CENT = Decimal("0.01")


def quantize(amount) -> Decimal:
    """Round to cents, half up, the way a receipt does."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: str) -> Decimal:
    """Parse a user- or file-supplied amount; raises ValueError when it is not one."""
    try:
        value = Decimal(str(text).strip().replace(",", "").lstrip("$"))
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not an amount of money") from exc
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount of money")
    return quantize(value)


def format_money(amount) -> str:
    if amount is None:
        return ""
    value = quantize(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}{settings.CURRENCY_SYMBOL}{abs(value):,.2f}"


def split(amount, weights) -> list[Decimal]:
    """`amount` in whole cents, in proportion to `weights`: each share rounded down, the cents
    left over going to the largest remainders (ties to the first). The shares add up to the
    amount exactly; with no weight, nothing is shared out."""
    from fractions import Fraction

    weights = list(weights)
    cents = int(quantize(amount) / CENT)
    total = sum(weights, Decimal("0"))
    if not weights:
        return []
    if total <= 0 or cents == 0:
        return [Decimal("0.00")] * len(weights)
    exact = [Fraction(cents) * Fraction(w) / Fraction(total) for w in weights]
    shares = [int(e) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: cents - sum(shares)]:
        shares[i] += 1
    return [Decimal(s) * CENT for s in shares]
