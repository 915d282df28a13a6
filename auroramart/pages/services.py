from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from .models import ContactMessage


def submit_contact_message(*, name: str, email: str, subject: str, message: str) -> ContactMessage:
    """Store the message, then tell staff by email once it is safely saved."""
    with transaction.atomic():
        stored = ContactMessage.objects.create(name=name, email=email, subject=subject, message=message)
        transaction.on_commit(lambda: _email_staff(stored))
    return stored


def _email_staff(stored: ContactMessage) -> None:
    send_mail(
        subject=f"[AuroraMart contact] {stored.subject}",
        message=f"From: {stored.name} <{stored.email}>\n\n{stored.message}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=settings.STAFF_EMAILS,
        fail_silently=True,
    )
