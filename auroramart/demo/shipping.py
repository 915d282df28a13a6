"""The demo shop's delivery: Singapore (standard and express from the first migration, plus
same-day in the central postal sectors), Malaysia, and the rest of the world by weight. Exports
are zero-rated for GST, so the zones abroad carry a 0% rate. Built through the staff services,
as a merchant would in the panel; safe to run twice."""

from auroramart.shipping.models import ShippingZone
from auroramart.shipping.services import save_method, save_zone
from auroramart.tax.services import set_rates

# Postal sectors 01–08: the central business district, where a courier delivers the same day.
CENTRAL_SECTORS = "\n".join(f"{n:02d}*" for n in range(1, 9))

ZONES = [
    # zone, countries, position, methods: (code, name, estimate, basis, free above, postal codes, rates)
    (
        "Singapore",
        "SG",
        10,
        [
            (
                "same-day",
                "Same-day delivery",
                "Today, if ordered by 2 pm",
                "value",
                "",
                CENTRAL_SECTORS,
                "19.99",
            ),
        ],
    ),
    (
        "Malaysia",
        "MY",
        20,
        [
            ("standard", "Standard to Malaysia", "5–8 working days", "value", "150", "", "14.99"),
            ("express", "Express to Malaysia", "2–4 working days", "value", "", "", "29.99"),
        ],
    ),
    (
        "Rest of the world",
        "",
        90,
        [
            (
                "international",
                "International post",
                "7–14 working days",
                "weight",
                "",
                "",
                "up to 1000: 19.99\nup to 5000: 39.99\nup to 20000: 79.99",
            ),
        ],
    ),
]


def ensure_demo_zones() -> int:
    """Create the demo's zones and methods that are missing; returns how many methods were made."""
    made = 0
    for name, codes, position, methods in ZONES:
        zone = ShippingZone.objects.filter(name=name).first() or save_zone(
            zone=None, data={"name": name, "countries": codes, "position": position}, actor=None
        )
        for code, label, estimate, basis, free_above, postal, rates in methods:
            if zone.methods.filter(code=code).exists():
                continue
            save_method(
                zone=zone,
                method=None,
                data={
                    "code": code,
                    "name": label,
                    "estimate": estimate,
                    "basis": basis,
                    "free_above": free_above,
                    "postal_codes": postal,
                    "rates": rates,
                    "position": 30 + made,
                },
                actor=None,
            )
            made += 1
        if codes != "SG" and not zone.tax_rates.exists():
            set_rates(zone=zone, rates={"standard": "0", "reduced": "0", "zero": "0"}, name="GST", actor=None)
    return made
