from django.core.management.base import BaseCommand, CommandError

from auroramart.inventory.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Verify that every variant's stock equals the sum of its stock ledger, and every product's the sum of its variants'; exit 1 when not."

    def handle(self, *args, **opts):
        mismatches = ledger_mismatches()
        for pk, sku, stored, ledger in mismatches[:50]:
            self.stderr.write(f"{sku} (id {pk}): stock {stored}, ledger {ledger}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} variant(s) or product(s) differ from their stock ledger.")
        self.stdout.write(
            self.style.SUCCESS("Every variant's stock equals its ledger, and every product's its variants'.")
        )
