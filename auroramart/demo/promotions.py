"""The demo shop's coupons: ones a visitor can try at checkout, and one that has
expired, to see the message it gives. Historical demo orders use some of them."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from auroramart.promotions.models import Coupon

DEMO_COUPONS = [
    # code, kind, value, minimum spend, per-customer limit, description
    ("WELCOME10", Coupon.Kind.PERCENT, "10", "0", 1, "Welcome: 10% off one order"),
    ("SAVE5", Coupon.Kind.FIXED, "5", "50", None, "S$5 off orders of S$50 or more"),
    ("FREESHIP", Coupon.Kind.FREE_SHIPPING, "0", "30", None, "Free standard delivery over S$30"),
]
EXPIRED_COUPON = "SUMMER20"


def ensure_demo_coupons() -> dict[str, Coupon]:
    """Create the demo coupons once; returns them by code."""
    coupons = {}
    for code, kind, value, min_spend, per_customer, description in DEMO_COUPONS:
        coupons[code], _ = Coupon.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "value": Decimal(value),
                "min_spend": Decimal(min_spend),
                "per_customer_limit": per_customer,
                "description": description,
            },
        )
    now = timezone.now()
    Coupon.objects.get_or_create(
        code=EXPIRED_COUPON,
        defaults={
            "kind": Coupon.Kind.PERCENT,
            "value": Decimal("20"),
            "description": "20% off: the summer sale (ended)",
            "starts_at": now - timedelta(days=150),
            "ends_at": now - timedelta(days=90),
        },
    )
    return coupons
