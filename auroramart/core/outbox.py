"""Transactional email: queue in the caller's transaction, send after commit.

After a commit that queued email, one task is asked to send every email still waiting
(core/tasks.py, send_queued_emails); while one is queued and has not started, further commits
ask for none. A key in the cache says that one is on its way: the task deletes it before it
reads what is waiting, so an email committed before the delete is read by that task, and one
committed after it finds the key gone and asks for another. Publishing a Celery task cost more
than everything else an order's confirmation does (a Redis client and a message built per
publish, #23, fifteenth round); now a burst of orders, or a campaign's thousands of emails,
publishes a task per batch, not per email."""

import logging

from django.core.cache import cache
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
    transaction.on_commit(wake_sender)
    return email


# Set while a sender task is queued and has not started; it expires, so a task the broker lost
# holds back nothing for longer than this (and the periodic retry sends what is left anyway).
WAKE_KEY = "outbox:sender-queued"
WAKE_SECONDS = 60


def wake_sender() -> None:
    """Ask for a task that sends every waiting email, unless one is queued already."""
    from .tasks import send_queued_emails

    if not cache.add(WAKE_KEY, 1, WAKE_SECONDS):
        return  # queued, not started: it will read this email when it starts
    try:
        send_queued_emails.delay()
    except Exception as exc:  # the broker is down: the periodic retry sends it later
        cache.delete(WAKE_KEY)  # the next commit asks again
        logger.warning("outbox: could not queue the sender (%s); waiting email will be retried", exc)
