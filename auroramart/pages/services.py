from django.conf import settings
from django.db import transaction

from auroramart.core.outbox import queue_email

from .models import ContactMessage


def submit_contact_message(*, name: str, email: str, subject: str, message: str) -> ContactMessage:
    """Store the message and queue the staff's email in the same transaction: through the
    outbox, like every email the shop sends, so it survives a broker outage and goes once."""
    with transaction.atomic():
        stored = ContactMessage.objects.create(name=name, email=email, subject=subject, message=message)
        for to in settings.STAFF_EMAILS:
            queue_email(
                to=to,
                subject=f"[AuroraMart contact] {stored.subject}",
                body=f"From: {stored.name} <{stored.email}>\n\n{stored.message}",
            )
    return stored
