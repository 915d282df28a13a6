"""Transactional email: queue in the caller's transaction, send after commit."""

import logging

from django.db import transaction

from . import rows
from .emails import render_html
from .models import OutboxEmail

logger = logging.getLogger(__name__)


def queue_email(
    *,
    to: str,
    subject: str,
    body: str,
    template: str = "",
    context: dict | None = None,
    headers: dict | None = None,
    attachments: list[dict] | None = None,
) -> OutboxEmail:
    """Queue a message: `body` is its plain text; the HTML alternative is rendered now from
    `template` (emails/<name>.html) or from the text (core/emails.py). `attachments` name
    what to attach when it is sent, e.g. {"kind": "invoice", "order": "AM…"} (settings
    EMAIL_ATTACHMENTS says who renders each kind)."""
    subject = subject[:200]
    html = render_html(subject=subject, text=body, template=template, context=context)
    email = rows.create(  # one constant statement: every order and message queues one (#23)
        OutboxEmail,
        to=to,
        subject=subject,
        body=body,
        html=html,
        headers=headers or {},
        attachments=attachments or [],
    )
    transaction.on_commit(lambda: _dispatch(email.pk))
    return email


def _dispatch(email_id: int) -> None:
    from .tasks import send_outbox_email

    try:
        send_outbox_email.delay(email_id)
    except Exception as exc:  # the broker is down: the periodic retry sends it later
        logger.warning("outbox: could not queue email %s (%s); it will be retried", email_id, exc)
