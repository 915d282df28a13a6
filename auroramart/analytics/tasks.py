from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .rollups import rollup


@shared_task
def rollup_recent_task() -> dict:
    """Hourly: today so far and yesterday (late payments and status changes land there), then customers."""
    today = timezone.localdate()
    return rollup(today - timedelta(days=1), today)
