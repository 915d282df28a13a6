from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .emails import render_attachment
from .models import OutboxEmail


@shared_task
def send_outbox_email(email_id: int) -> bool:
    """Send one queued email, at most once, even if the task runs twice."""
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return False
        try:
            message = EmailMultiAlternatives(
                email.subject,
                email.body,
                settings.DEFAULT_FROM_EMAIL,
                [email.to],
                headers=email.headers or None,
            )
            if email.html:
                message.attach_alternative(email.html, "text/html")
            for attachment in email.attachments:
                message.attach(*render_attachment(attachment))
            message.send()
        except Exception as exc:
            OutboxEmail.objects.filter(pk=email.pk).update(
                attempts=F("attempts") + 1, last_error=str(exc)[:255]
            )
            return False
        OutboxEmail.objects.filter(pk=email.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
        return True


@shared_task
def send_queued_emails(batch: int = 500) -> int:
    """Send every email waiting for its first attempt (core/outbox.py asks for this task after
    a commit that queued one); one that failed is left to the periodic retry. How many were sent."""
    from .outbox import WAKE_KEY, wake_sender

    cache.delete(WAKE_KEY)  # first: whatever commits from now on asks for another task
    ids = list(
        OutboxEmail.objects.filter(sent_at__isnull=True, attempts=0)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    sent = sum(1 for pk in ids if send_outbox_email(pk))
    if len(ids) == batch:  # more may be waiting: the next batch is another task
        wake_sender()
    return sent


@shared_task
def retry_unsent_emails(older_than_seconds: int = 60, max_attempts: int = 10) -> int:
    """The periodic sweep: send what the broker could not deliver earlier."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        OutboxEmail.objects.filter(
            sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=max_attempts
        ).values_list("pk", flat=True)[:500]
    )
    return sum(1 for pk in ids if send_outbox_email(pk))
