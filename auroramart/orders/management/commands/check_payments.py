from django.core.management.base import BaseCommand, CommandError

from auroramart.orders.selectors import payment_mismatches


class Command(BaseCommand):
    help = (
        "Verify that every succeeded charge belongs to a live order or is refunded in full, and that "
        "no payment is left pending; exit 1 when not (resolve_pending_orders settles what it can)."
    )

    def handle(self, *args, **opts):
        problems = payment_mismatches()
        for line in problems[:50]:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} payment(s) are not where they are owed.")
        self.stdout.write(self.style.SUCCESS("Every charge belongs to a live order or is refunded."))
