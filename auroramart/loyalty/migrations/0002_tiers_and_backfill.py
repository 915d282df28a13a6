"""The five tiers, and a loyalty account for every customer who registered before the program."""

from decimal import Decimal

from django.db import migrations

TIERS = [
    ("Bronze", 0, Decimal("1.00"), "Earn 1 point per S$1. Birthday treat.", "neutral"),
    ("Silver", 1000, Decimal("1.10"), "Earn 10% more points. Early access to sales.", "info"),
    ("Gold", 3000, Decimal("1.25"), "Earn 25% more points. Free express upgrade twice a year.", "warning"),
    ("Platinum", 7500, Decimal("1.50"), "Earn 50% more points. Priority support.", "secondary"),
    ("Diamond", 15000, Decimal("2.00"), "Double points. Dedicated concierge and exclusive events.", "primary"),
]


def forwards(apps, schema_editor):
    Tier = apps.get_model("loyalty", "LoyaltyTier")
    Account = apps.get_model("loyalty", "LoyaltyAccount")
    User = apps.get_model("accounts", "User")
    for name, threshold, multiplier, perks, colour in TIERS:
        Tier.objects.update_or_create(
            name=name, defaults={"threshold": threshold, "multiplier": multiplier, "perks": perks, "colour": colour}
        )
    bronze = Tier.objects.get(name="Bronze")
    with_account = Account.objects.values_list("user_id", flat=True)
    missing = User.objects.filter(is_staff=False).exclude(pk__in=with_account).values_list("pk", flat=True)
    Account.objects.bulk_create([Account(user_id=pk, tier=bronze) for pk in missing], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial"), ("accounts", "0002_customer_profile_addresses_wishlist_notifications")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
