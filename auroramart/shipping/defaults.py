"""The delivery a new shop starts with: Singapore, standard S$5.99 (free from S$75 after
discounts) and express S$14.99, as the shop always sold. Written by the first migration (with
its historical models) and by the test suite after a test empties the tables."""

from decimal import Decimal


def ensure_home_zone(Zone, Method, Rate) -> None:  # noqa: N803 (model classes, as migrations pass them)
    if Zone.objects.exists():
        return
    zone = Zone.objects.create(name="Singapore", countries=["SG"], position=10)
    standard = Method.objects.create(
        zone=zone,
        code="standard",
        name="Standard delivery",
        estimate="3–5 working days",
        free_above=Decimal("75.00"),
        position=10,
    )
    express = Method.objects.create(
        zone=zone, code="express", name="Express delivery", estimate="1–2 working days", position=20
    )
    Rate.objects.create(method=standard, up_to=None, price=Decimal("5.99"))
    Rate.objects.create(method=express, up_to=None, price=Decimal("14.99"))
