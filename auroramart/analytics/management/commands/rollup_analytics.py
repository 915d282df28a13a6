from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from auroramart.analytics.rollups import rollup


class Command(BaseCommand):
    help = (
        "Rebuild the daily analytics rollups for a date range (default: yesterday and today). Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default today)")
        parser.add_argument("--days", type=int, help="the last N days up to --to (instead of --from)")

    def handle(self, *args, **options):
        try:
            end = date.fromisoformat(options["end"]) if options["end"] else timezone.localdate()
            if options["start"]:
                start = date.fromisoformat(options["start"])
            else:
                start = end - timedelta(days=(options["days"] or 2) - 1)
        except ValueError as exc:
            raise CommandError(f"Dates are YYYY-MM-DD: {exc}") from None
        if start > end:
            raise CommandError("--from must not be after --to.")
        if (end - start).days > 3660:
            raise CommandError("At most ten years at a time.")

        def progress(items, **kwargs):
            return tqdm(items, disable=options["verbosity"] == 0, **kwargs)

        result = rollup(start, end, progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rolled up {result['days']} day(s) {start}..{end}; {result['customers']} customers scored."
            )
        )
