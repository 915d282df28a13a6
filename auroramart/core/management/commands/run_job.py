from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Run one of the periodic jobs of the Celery beat schedule now, in this process (or --list them)."

    def add_arguments(self, parser):
        parser.add_argument("job", nargs="?", help="the job's name in the schedule, e.g. clear-stale-carts")
        parser.add_argument("--list", action="store_true", help="list the periodic jobs and their schedules")

    def handle(self, *args, **options):
        schedule = settings.CELERY_BEAT_SCHEDULE
        if options["list"] or not options["job"]:
            for name, entry in schedule.items():
                self.stdout.write(f"{name:30} {_when(entry['schedule']):20} {entry['task']}")
            return
        entry = schedule.get(options["job"])
        if entry is None:
            raise CommandError(f"No job {options['job']!r}; `run_job --list` shows them.")
        task = import_string(entry["task"])
        result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
        if result.failed():
            raise CommandError(f"{options['job']} failed: {result.result!r}")
        self.stdout.write(self.style.SUCCESS(f"{options['job']}: {result.result}"))


def _when(schedule) -> str:
    if isinstance(schedule, int | float):
        return f"every {int(schedule) // 60} min"
    return f"daily at {min(schedule.hour):02d}:{min(schedule.minute):02d}"
