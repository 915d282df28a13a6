"""The tax on a line: its class (the product's, else its category's, else DEFAULT_TAX_CLASS) at
the rate its delivery zone sets for that class (none set: not taxed). One copy of the classes
and rates, in the shared cache and held in each process (core.held.HeldSetting); any save or
delete of them drops it everywhere (apps.py).

Rounding is per line, half up, to the cent: a line's tax is computed on what the line was
paid after its share of the order's discounts (cart/pricing.py), and the order's tax is the sum
of its lines' and the delivery's. With prices entered tax-inclusive (PRICES_INCLUDE_TAX) the tax
is the part of that amount r / (1 + r); tax-exclusive, it is r times the amount, added on top.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from auroramart.core.held import HeldSetting
from auroramart.core.money import quantize

from .models import TaxClass, TaxRate

CACHE_KEY = "tax:config:v1"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Rate:
    """A class's rate in a zone, as the invoice names it."""

    tax_class: str
    rate: Decimal
    name: str
    exempt: bool = False

    @property
    def label(self) -> str:
        if self.exempt:
            return "Exempt"
        percent = (self.rate * 100).normalize()
        return f"{self.name} ({percent:f}%)"


@dataclass(frozen=True)
class Config:
    class_codes: dict[int, str]
    exempt: frozenset[str]
    rates: dict[tuple[int, str], Rate]


def config() -> Config:
    """The tax classes and rates, held until any of them is saved (tax/apps.py)."""
    return _config.get()


def forget() -> None:
    _config.forget()


def _load() -> Config:
    classes = list(TaxClass.objects.all())
    return Config(
        class_codes={c.pk: c.code for c in classes},
        exempt=frozenset(c.code for c in classes if c.exempt),
        rates={
            (r.zone_id, r.tax_class.code): Rate(r.tax_class.code, r.rate, r.name, r.tax_class.exempt)
            for r in TaxRate.objects.select_related("tax_class")
        },
    )


_config = HeldSetting(CACHE_KEY, _load)


def class_of(product, cfg: Config | None = None) -> str:
    """The product's tax class code: its own, else its category's, else the shop's default.
    Reads `product.category` (select it with the product). Pass `cfg` (config()) when pricing
    many lines, so the cache is read once."""
    codes = (cfg or config()).class_codes
    category = product.category if product.category_id else None
    class_id = product.tax_class_id or getattr(category, "tax_class_id", None)
    return codes.get(class_id, settings.DEFAULT_TAX_CLASS) if class_id else settings.DEFAULT_TAX_CLASS


def rate_for(zone_id: int | None, tax_class: str, cfg: Config | None = None) -> Rate:
    cfg = cfg or config()
    found = cfg.rates.get((zone_id, tax_class)) if zone_id is not None else None
    if found is not None:
        return found
    return Rate(tax_class, Decimal("0"), "Tax", exempt=tax_class in cfg.exempt)


def tax_on(amount: Decimal, rate: Rate) -> Decimal:
    """The tax on one line's amount, rounded per line."""
    if rate.exempt or not rate.rate:
        return ZERO
    if settings.PRICES_INCLUDE_TAX:
        return quantize(amount * rate.rate / (1 + rate.rate))
    return quantize(amount * rate.rate)


def home_rate() -> Rate:
    """The standard rate at home (the pages' "prices include 9% GST")."""
    from auroramart.shipping.selectors import Destination, zone_for

    zone = zone_for(Destination(settings.SHOP_COUNTRY))
    return rate_for(zone.pk if zone else None, settings.DEFAULT_TAX_CLASS)
