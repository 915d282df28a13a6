"""Staff writes to tax rates: the rate of a tax class in a shipping zone (audited; the cached
rates are dropped when it commits)."""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from auroramart.core.client import Actor
from auroramart.core.events import publish
from auroramart.shipping.events import ShippingChanged
from auroramart.shipping.models import ShippingZone
from auroramart.staff.services import record_audit

from .models import TaxClass, TaxRate
from .selectors import forget


class TaxError(ValueError):
    pass


@transaction.atomic
def set_rates(*, zone: ShippingZone, rates: dict[str, str], name: str, actor: Actor | None) -> list[TaxRate]:
    """Set the zone's rate for each class code in `rates` (percent, "9" or "9%"; empty removes
    it: the class is then not taxed there). `name` is what invoices call the tax."""
    name = (name or "").strip()[:30] or "GST"
    classes = {c.code: c for c in TaxClass.objects.all()}
    parsed: dict[str, Decimal | None] = {}
    for code, text in rates.items():
        if code not in classes:
            raise TaxError(f"No tax class {code}.")
        text = (text or "").strip().rstrip("%").strip()
        if not text:
            parsed[code] = None
            continue
        try:
            percent = Decimal(text)
        except InvalidOperation:
            raise TaxError(f"{classes[code].name}: a percentage, e.g. 9.") from None
        if not 0 <= percent < 100:
            raise TaxError(f"{classes[code].name}: between 0 and 100%.")
        parsed[code] = (percent / 100).quantize(Decimal("0.0001"))
    saved, changes = [], {}
    for code, rate in parsed.items():
        existing = TaxRate.objects.filter(zone=zone, tax_class=classes[code]).first()
        before = str(existing.rate) if existing else None
        if rate is None:
            if existing:
                existing.delete()
        else:
            row, _ = TaxRate.objects.update_or_create(
                zone=zone, tax_class=classes[code], defaults={"rate": rate, "name": name}
            )
            saved.append(row)
        if before != (str(rate) if rate is not None else None):
            changes[code] = [before, str(rate) if rate is not None else None]
    record_audit(actor, "set_tax_rates", zone, changes=changes)
    transaction.on_commit(forget)
    publish(ShippingChanged())
    return saved
