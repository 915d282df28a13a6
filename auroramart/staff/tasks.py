from celery import shared_task

from .signin import purge_old_attempts


@shared_task
def purge_login_attempts_task() -> int:
    return purge_old_attempts()
