from celery import shared_task

from .services import expire_points


@shared_task
def expire_points_task() -> dict:
    return expire_points()
