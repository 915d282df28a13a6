from celery import shared_task

from .services import resolve_pending_orders


@shared_task
def resolve_pending_orders_task() -> dict:
    return resolve_pending_orders()
