"""`make run` in one process: prepare the demo shop, print where it is, serve it, and run the
periodic jobs in the background. One process instead of six (each of which imported
scikit-learn): a second `make run` is up in seconds."""

import io
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Set up the demo shop if needed (migrate, staff, sample data, models) and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--noreload", action="store_true", help="do not restart when code changes")

    def handle(self, *args, port, noreload, **opts):
        # Django's autoreloader runs this command again in a child process (RUN_MAIN): the
        # preparation belongs to the parent, the jobs to the process that serves.
        serving = noreload or os.environ.get("RUN_MAIN") == "true"
        if not os.environ.get("RUN_MAIN"):
            call_command("migrate", interactive=False, verbosity=0)
            call_command("setup_admin", stdout=io.StringIO())  # its role list is not news here
            call_command("create_sample_data", if_empty=True)
            call_command("train_models", if_missing=True)
            call_command("demo_banner", port=port)
        if serving and settings.DEMO_SCHEDULER:
            from auroramart.demo.scheduler import start_in_background

            start_in_background()
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=not noreload)
