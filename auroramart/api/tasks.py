from celery import shared_task

from .idempotency import purge_expired


@shared_task
def purge_idempotency_keys_task() -> int:
    """Idempotency keys are kept 24 hours (settings.IDEMPOTENCY_KEY_TTL); older ones go."""
    return purge_expired()
