from celery import shared_task

from .services import refresh_popular_suggestions


@shared_task
def refresh_suggestions_task() -> int:
    return refresh_popular_suggestions()
