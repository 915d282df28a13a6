"""Transactional email: queue in the caller's transaction, send after commit."""

import logging

from django.db import transaction

from .models import OutboxEmail

logger = logging.getLogger(__name__)


def queue_email(*, to: str, subject: str, body: str) -> OutboxEmail:
    email = OutboxEmail.objects.create(to=to, subject=subject[:200], body=body)
    transaction.on_commit(lambda: _dispatch(email.pk))
    return email


def _dispatch(email_id: int) -> None:
    from .tasks import send_outbox_email

    try:
        send_outbox_email.delay(email_id)
    except Exception as exc:  # the broker is down: the periodic retry sends it later
        logger.warning("outbox: could not queue email %s (%s); it will be retried", email_id, exc)
