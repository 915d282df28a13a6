"""The five tiers, and a loyalty account for every customer who registered before the program."""

from django.db import migrations

from auroramart.loyalty.defaults import ensure_tiers

def forwards(apps, schema_editor):
    Tier = apps.get_model("loyalty", "LoyaltyTier")
    Account = apps.get_model("loyalty", "LoyaltyAccount")
    User = apps.get_model("accounts", "User")
    ensure_tiers(Tier)
    bronze = Tier.objects.get(name="Bronze")
    with_account = Account.objects.values_list("user_id", flat=True)
    missing = User.objects.filter(is_staff=False).exclude(pk__in=with_account).values_list("pk", flat=True)
    Account.objects.bulk_create([Account(user_id=pk, tier=bronze) for pk in missing], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial"), ("accounts", "0002_customer_profile_addresses_wishlist_notifications")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
