from celery import shared_task

from .services import clear_stale_carts


@shared_task
def clear_stale_carts_task() -> dict:
    return clear_stale_carts()
