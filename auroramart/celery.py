"""Celery: the broker is Redis when REDIS_URL (or CELERY_BROKER_URL) is set; without a
broker, tasks run eagerly in the web process, so the demo needs nothing else."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auroramart.settings")

app = Celery("auroramart")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
