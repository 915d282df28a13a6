from django.core.management.base import BaseCommand

from auroramart.orders.services import resolve_pending_orders


class Command(BaseCommand):
    help = "Settle orders left pending by a crash between reserving stock and confirming payment."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, help="minutes (default: settings)")

    def handle(self, *args, older_than, **opts):
        outcome = resolve_pending_orders(older_than)
        self.stdout.write(f"{outcome['confirmed']} confirmed, {outcome['released']} released.")
