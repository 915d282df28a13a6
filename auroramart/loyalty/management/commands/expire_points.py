from django.core.management.base import BaseCommand

from auroramart.loyalty.services import expire_points


class Command(BaseCommand):
    help = (
        "Expire points after 12 months without earning or redeeming; warn 30 days ahead. Safe to run twice."
    )

    def handle(self, *args, **opts):
        outcome = expire_points()
        self.stdout.write(f"{outcome['expired']} accounts expired, {outcome['warned']} warned.")
