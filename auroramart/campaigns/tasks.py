from celery import shared_task

from . import abandoned_carts, services


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_campaign_batch(campaign_id: int, member_ids: list[int]) -> int:
    return services.send_batch(campaign_id, member_ids)


@shared_task
def send_cart_reminders_task() -> dict:
    return abandoned_carts.send_reminders()
