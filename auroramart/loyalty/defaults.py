"""The five tiers the program starts with; staff can edit them afterwards."""

from decimal import Decimal

# (name, threshold in qualifying points, earning multiplier, perks, badge colour)
TIERS = [
    ("Bronze", 0, Decimal("1.00"), "Earn 1 point per S$1. Birthday treat.", "neutral"),
    ("Silver", 1000, Decimal("1.10"), "Earn 10% more points. Early access to sales.", "info"),
    ("Gold", 3000, Decimal("1.25"), "Earn 25% more points. Free express upgrade twice a year.", "warning"),
    ("Platinum", 7500, Decimal("1.50"), "Earn 50% more points. Priority support.", "secondary"),
    (
        "Diamond",
        15000,
        Decimal("2.00"),
        "Double points. Dedicated concierge and exclusive events.",
        "primary",
    ),
]


def ensure_tiers(tier_model) -> None:
    """Create any missing default tier (used by the migration and when the table is empty)."""
    for name, threshold, multiplier, perks, colour in TIERS:
        tier_model.objects.get_or_create(
            name=name,
            defaults={"threshold": threshold, "multiplier": multiplier, "perks": perks, "colour": colour},
        )
