from django.core.management.base import BaseCommand

from auroramart.recommendations.services import repredict_all


class Command(BaseCommand):
    help = "Re-predict every customer's preferred categories with the current model."

    def handle(self, *args, **options):
        self.stdout.write(f"{repredict_all()} customer profiles changed.")
