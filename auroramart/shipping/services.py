"""Staff writes to the shipping configuration: zones, their methods and rate bands, and (through
tax.services) the zones' tax rates. Each is checked, audited in its own transaction, and drops
the cached configuration when it commits."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django_countries import countries

from auroramart.core.client import Actor
from auroramart.core.events import publish
from auroramart.core.money import quantize
from auroramart.staff.services import record_audit

from .events import ShippingChanged
from .models import ShippingMethod, ShippingRate, ShippingZone
from .postal import PostalRules
from .selectors import forget


class ShippingError(ValueError):
    """What is wrong with a zone or a method, by field, in words for staff."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _flag(value) -> bool:
    return value not in (None, "", "0", "false", "off", False)


def _int(value, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


def _changed() -> None:
    transaction.on_commit(forget)
    publish(ShippingChanged())


def parse_countries(text: str) -> list[str]:
    """ISO codes from "SG, MY" or names ("Malaysia"); unknown ones raise ShippingError."""
    known = dict(countries)
    by_name = {name.casefold(): code for code, name in known.items()}
    codes: list[str] = []
    wrong: list[str] = []
    for part in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not part:
            continue
        code = part.upper() if part.upper() in known else by_name.get(part.casefold())
        if code:
            codes.append(code)
        else:
            wrong.append(part)
    if wrong:
        raise ShippingError({"countries": f"Not a country: {', '.join(wrong)}."})
    return sorted(set(codes), key=codes.index)


@transaction.atomic
def save_zone(*, zone: ShippingZone | None, data: dict, actor: Actor | None) -> ShippingZone:
    """Create or change a zone: name, countries (codes or names; none = every country), regions
    (one a line), postal-code rules, position and whether it is active."""
    errors = {}
    name = (data.get("name") or "").strip()[:80]
    if not name:
        errors["name"] = "Give the zone a name."
    try:
        codes = parse_countries(data.get("countries", ""))
    except ShippingError as exc:
        errors.update(exc.errors)
        codes = []
    rules = PostalRules(data.get("postal_codes", ""))
    if rules.errors():
        errors["postal_codes"] = "; ".join(rules.errors())
    if errors:
        raise ShippingError(errors)
    zone = zone or ShippingZone()
    before = {"name": zone.name, "countries": list(zone.countries), "postal_codes": zone.postal_codes}
    zone.name, zone.countries = name, codes
    zone.regions = [r.strip() for r in (data.get("regions") or "").splitlines() if r.strip()]
    zone.postal_codes = "\n".join(rules.rules)
    zone.position = _int(data.get("position"), zone.position or 0)
    if "is_active" in data:  # a form sends "" when unticked; a caller that leaves it out keeps it
        zone.is_active = _flag(data["is_active"])
    zone.save()
    record_audit(
        actor,
        "save_shipping_zone",
        zone,
        changes={k: [before[k], getattr(zone, k)] for k in before if before[k] != getattr(zone, k)},
    )
    _changed()
    return zone


@dataclass(frozen=True)
class Band:
    up_to: Decimal | None
    price: Decimal


def parse_rates(text: str) -> list[Band]:
    """Rate bands, one a line: "up to 50: 5.99", "above: 2.99" or just "5.99" (any order)."""
    bands, wrong = [], []
    for line in (raw.strip() for raw in (text or "").splitlines()):
        if not line:
            continue
        limit, _, price = line.rpartition(":")
        limit = limit.strip().lower().removeprefix("up to").strip()
        try:
            value = quantize(Decimal(price.strip().lstrip("S$").lstrip("$")))
            up_to = None if limit in ("", "above", "more", "any", "*") else quantize(Decimal(limit))
        except (InvalidOperation, ValueError):
            wrong.append(line)
            continue
        if value < 0 or (up_to is not None and up_to <= 0):
            wrong.append(line)
            continue
        bands.append(Band(up_to, value))
    if wrong:
        raise ShippingError(
            {"rates": f"Write each band as 'up to 50: 5.99' or 'above: 2.99': {'; '.join(wrong)}"}
        )
    if not bands:
        raise ShippingError({"rates": "Give at least one price, e.g. 5.99."})
    limits = [b.up_to for b in bands]
    if len(set(limits)) != len(limits):
        raise ShippingError({"rates": "Two bands have the same limit."})
    return sorted(bands, key=lambda b: (b.up_to is None, b.up_to or 0))


@transaction.atomic
def save_method(
    *, zone: ShippingZone, method: ShippingMethod | None, data: dict, actor: Actor | None
) -> ShippingMethod:
    """Create or change a method of a zone with its rate bands (replaced as a whole)."""
    errors = {}
    code = (data.get("code") or "").strip().lower()[:30]
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        errors["code"] = "A short code of letters, digits and dashes, e.g. express."
    elif zone.methods.filter(code=code).exclude(pk=method.pk if method else 0).exists():
        errors["code"] = f"This zone already has a method {code}."
    name = (data.get("name") or "").strip()[:80]
    if not name:
        errors["name"] = "Name the method as customers see it."
    basis = data.get("basis") or ShippingMethod.Basis.ORDER_VALUE
    if basis not in ShippingMethod.Basis.values:
        errors["basis"] = "Price by order value or by weight."
    free_above = None
    if (data.get("free_above") or "").strip():
        try:
            free_above = quantize(Decimal(data["free_above"].strip()))
            if free_above < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors["free_above"] = "An amount, e.g. 75.00, or empty for never."
    rules = PostalRules(data.get("postal_codes", ""))
    if rules.errors():
        errors["postal_codes"] = "; ".join(rules.errors())
    try:
        bands = parse_rates(data.get("rates", ""))
    except ShippingError as exc:
        errors.update(exc.errors)
    if errors:
        raise ShippingError(errors)
    method = method or ShippingMethod(zone=zone)
    before = {"code": method.code, "name": method.name, "free_above": method.free_above}
    method.code, method.name, method.basis, method.free_above = code, name, basis, free_above
    method.estimate = (data.get("estimate") or "").strip()[:60]
    method.postal_codes = "\n".join(rules.rules)
    method.position = _int(data.get("position"), method.position or 0)
    if "is_active" in data:
        method.is_active = _flag(data["is_active"])
    method.save()
    method.rates.all().delete()
    ShippingRate.objects.bulk_create(
        [ShippingRate(method=method, up_to=b.up_to, price=b.price) for b in bands]
    )
    record_audit(
        actor,
        "save_shipping_method",
        method,
        changes={
            **{
                k: [str(before[k]), str(getattr(method, k))]
                for k in before
                if before[k] != getattr(method, k)
            },
            "rates": [None, rates_text(method)],
        },
    )
    _changed()
    return method


@transaction.atomic
def delete_method(*, method: ShippingMethod, actor: Actor | None) -> None:
    record_audit(actor, "delete_shipping_method", method, changes={"code": [method.code, None]})
    method.delete()
    _changed()


def rates_text(method: ShippingMethod) -> str:
    """A method's bands as staff write them."""
    return "\n".join(
        f"up to {r.up_to}: {r.price}" if r.up_to is not None else f"above: {r.price}"
        for r in sorted(method.rates.all(), key=lambda r: (r.up_to is None, r.up_to or 0))
    )
