"""The periodic jobs of the Celery beat schedule, run in the demo server's own process.

`make run` has no Redis, no worker and no beat: without this, nothing scheduled would ever run
during a demo (analytics would never move). A daemon thread wakes every few seconds and runs,
in-process, each job whose time has come, by the same schedule objects Celery beat uses. Every
job is safe to run twice, so a restart that runs one early does no harm. Production runs beat.
"""

import logging
import threading
from datetime import datetime, timedelta

from celery.schedules import crontab, schedule
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class DemoScheduler:
    def __init__(self, entries: dict, started: datetime | None = None):
        self.entries = {
            name: entry["schedule"]
            if isinstance(entry["schedule"], crontab | schedule)
            # A number is seconds, as in CELERY_BEAT_SCHEDULE.
            else schedule(timedelta(seconds=entry["schedule"]))
            for name, entry in entries.items()
        }
        self.tasks = {name: entry["task"] for name, entry in entries.items()}
        started = started or timezone.now()
        self.last_run = dict.fromkeys(entries, started)  # nothing fires at start-up

    def due(self, now: datetime) -> list[str]:
        found = []
        for name, when in self.entries.items():
            # Celery's schedules answer from the last run and their clock (nowfun): the clock
            # here is `now`, so a test can move it.
            when.nowfun = lambda now=now: now
            if when.remaining_estimate(self.last_run[name]).total_seconds() <= 0:
                found.append(name)
        return found

    def tick(self, now: datetime | None = None) -> list[str]:
        """Run the jobs that are due at `now`; the names of those run."""
        now = now or timezone.now()
        ran = []
        for name in self.due(now):
            self.last_run[name] = now
            try:
                import_string(self.tasks[name]).apply()
                ran.append(name)
            except Exception:  # one failing job must not stop the others, or the server
                log.exception("Periodic job %s failed", name)
        return ran

    def run_forever(self, stop: threading.Event, every: float = 5.0) -> None:
        while not stop.wait(every):
            close_old_connections()
            ran = self.tick()
            if ran:
                log.info("Ran periodic jobs: %s", ", ".join(ran))
            close_old_connections()


def start_in_background() -> threading.Event:
    """Start the scheduler on a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    scheduler = DemoScheduler(settings.CELERY_BEAT_SCHEDULE)
    threading.Thread(target=scheduler.run_forever, args=(stop,), name="demo-scheduler", daemon=True).start()
    return stop
