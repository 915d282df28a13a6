"""Which zone serves an address and what its methods cost, read from one copy of the shipping
configuration (zones, methods, rates: three queries when the cache is cold), in the shared cache
and held in each process (core.held.HeldSetting); any save or delete of them drops it
everywhere (apps.py)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from auroramart.core.held import HeldSetting

from .models import ShippingMethod, ShippingRate, ShippingZone
from .postal import PostalRules

CACHE_KEY = "shipping:config:v1"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Destination:
    """Where an order goes, as far as shipping and tax care."""

    country: str = ""
    region: str = ""
    postal_code: str = ""

    def __post_init__(self):
        object.__setattr__(self, "country", (self.country or settings.SHOP_COUNTRY).upper())

    def describe(self) -> str:
        from django_countries import countries

        return " ".join(p for p in (dict(countries).get(self.country, self.country), self.postal_code) if p)


@dataclass(frozen=True)
class Method:
    code: str
    name: str
    estimate: str
    basis: str
    free_above: Decimal | None
    postal_codes: str
    bands: tuple[tuple[Decimal | None, Decimal], ...]  # (up to, price), lowest band first

    def price_for(self, value: Decimal, grams: int) -> Decimal | None:
        measure = Decimal(grams) if self.basis == ShippingMethod.Basis.WEIGHT else value
        for up_to, price in self.bands:
            if up_to is None or measure <= up_to:
                return price
        return None  # above the last band: this method does not take the order


@dataclass(frozen=True)
class Zone:
    pk: int
    name: str
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    postal_codes: str
    methods: tuple[Method, ...] = field(default=())

    def serves(self, dest: Destination) -> bool:
        if self.countries and dest.country not in self.countries:
            return False
        if self.regions and dest.region.strip().casefold() not in self.regions:
            return False
        return PostalRules(self.postal_codes).matches(dest.postal_code)


@dataclass(frozen=True)
class Quote:
    """A method offered for an address and a cart: its fee now, and how far from free it is."""

    code: str
    name: str
    estimate: str
    fee: Decimal
    free_above: Decimal | None
    free_remaining: Decimal | None


def zones() -> list[Zone]:
    """Every active zone with its methods and rates, held until any of them is saved
    (shipping/apps.py): every cart and checkout request prices shipping."""
    return _zones.get()


def forget() -> None:
    _zones.forget()


def _load() -> list[Zone]:
    bands: dict[int, list[tuple[Decimal | None, Decimal]]] = {}
    for rate in ShippingRate.objects.filter(method__is_active=True, method__zone__is_active=True):
        bands.setdefault(rate.method_id, []).append((rate.up_to, rate.price))
    methods: dict[int, list[Method]] = {}
    for m in ShippingMethod.objects.filter(is_active=True, zone__is_active=True).order_by("position", "pk"):
        ordered = sorted(bands.get(m.pk, []), key=lambda b: (b[0] is None, b[0] or 0))
        methods.setdefault(m.zone_id, []).append(
            Method(m.code, m.name, m.estimate, m.basis, m.free_above, m.postal_codes, tuple(ordered))
        )
    return [
        Zone(
            z.pk,
            z.name,
            tuple(c.upper() for c in z.countries),
            tuple(r.casefold() for r in z.regions),
            z.postal_codes,
            tuple(methods.get(z.pk, [])),
        )
        for z in ShippingZone.objects.filter(is_active=True).order_by("position", "pk")
    ]


def zone_for(dest: Destination) -> Zone | None:
    """The first active zone, by position, that serves the address; None when none does."""
    return next((z for z in zones() if z.serves(dest)), None)


def quotes(dest: Destination, *, merchandise: Decimal, grams: int, free: bool = False) -> list[Quote]:
    """The methods that serve the address and take this cart, with their fees. `merchandise`
    is after discounts (what free-shipping thresholds and value bands read); `free` when a
    coupon or reward makes delivery free."""
    return quotes_in(zone_for(dest), dest, merchandise=merchandise, grams=grams, free=free)


def quotes_in(
    zone: Zone | None, dest: Destination, *, merchandise: Decimal, grams: int, free: bool = False
) -> list[Quote]:
    """quotes() for a zone already found for the address (pricing finds it once, for tax too)."""
    if zone is None:
        return []
    offered = []
    for method in zone.methods:
        if not PostalRules(method.postal_codes).matches(dest.postal_code):
            continue
        price = method.price_for(merchandise, grams)
        if price is None:
            continue
        remaining = None
        if free or (method.free_above is not None and merchandise >= method.free_above):
            price = ZERO
        elif method.free_above is not None:
            remaining = method.free_above - merchandise
        offered.append(Quote(method.code, method.name, method.estimate, price, method.free_above, remaining))
    return offered


def home_options() -> list[Quote]:
    """What the pages describe (delivery page, FAQ): the home country's methods, before any cart."""
    zone = zone_for(Destination(settings.SHOP_COUNTRY))
    if zone is None:
        return []
    return [
        Quote(m.code, m.name, m.estimate, m.bands[0][1] if m.bands else ZERO, m.free_above, None)
        for m in zone.methods
    ]


_zones = HeldSetting(CACHE_KEY, _load)
