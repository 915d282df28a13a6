"""The email outbox: every email queued in a transaction is sent once after it commits, by a
sender task that sends all that are waiting; while one is queued, commits ask for no other
(core/outbox.py says how a commit during a send is never missed)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction

from auroramart.celery import app
from auroramart.core import tasks
from auroramart.core.models import OutboxEmail
from auroramart.core.outbox import queue_email
from auroramart.core.tasks import retry_unsent_emails, send_queued_emails

from .races import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    """The sender tasks asked for, kept instead of run (as a broker with no worker yet would)."""
    asked = []
    with mock.patch.object(send_queued_emails, "delay", side_effect=lambda: asked.append(1)):
        yield asked


def queue(n: int, capture, start: int = 0) -> None:
    """`n` emails, each in a transaction of its own, as `n` orders would be."""
    for i in range(start, start + n):
        with capture(execute=True), transaction.atomic():
            queue_email(to=f"buyer{i}@example.test", subject=f"Order {i}", body="Thank you.")


def test_a_burst_of_commits_asks_for_one_sender_and_every_email_goes_once(
    published, mailoutbox, django_capture_on_commit_callbacks
):
    queue(5, django_capture_on_commit_callbacks)
    assert len(published) == 1 and mailoutbox == []  # five commits, one task asked for

    assert send_queued_emails() == 5
    assert sorted(m.to[0] for m in mailoutbox) == [f"buyer{i}@example.test" for i in range(5)]
    assert send_queued_emails() == 0  # run twice (a redelivered task): nothing goes twice

    queue(1, django_capture_on_commit_callbacks, start=5)  # the sender started: a new one is asked for
    assert len(published) == 2
    send_queued_emails()
    assert len(mailoutbox) == 6 and not OutboxEmail.objects.filter(sent_at__isnull=True).exists()


def test_an_email_committed_while_the_sender_runs_asks_for_another(
    published, mailoutbox, django_capture_on_commit_callbacks
):
    queue(2, django_capture_on_commit_callbacks)
    assert len(published) == 1
    original = tasks.send_outbox_email
    late = []

    def send_and_meanwhile_another_commits(pk):
        if not late:  # an order commits while the first email is on its way
            late.append(1)
            queue(1, django_capture_on_commit_callbacks, start=2)
        return original(pk)

    with mock.patch.object(tasks, "send_outbox_email", side_effect=send_and_meanwhile_another_commits):
        send_queued_emails()
    assert len(published) == 2, "the late email asked for a sender of its own"
    send_queued_emails()
    assert sorted(m.to[0] for m in mailoutbox) == [f"buyer{i}@example.test" for i in range(3)]


def test_a_failed_send_is_left_to_the_retry_not_tried_by_every_sender(
    published, mailoutbox, django_capture_on_commit_callbacks
):
    queue(1, django_capture_on_commit_callbacks)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")):
        assert send_queued_emails() == 0
    email = OutboxEmail.objects.get()
    assert email.attempts == 1 and email.last_error == "SMTP down" and email.sent_at is None
    assert send_queued_emails() == 0 and mailoutbox == []  # the next sender leaves it alone
    OutboxEmail.objects.update(created_at=email.created_at - timedelta(minutes=5))
    assert retry_unsent_emails() == 1 and len(mailoutbox) == 1  # the periodic retry sends it


def test_with_the_broker_down_the_next_commit_asks_again(mailoutbox, django_capture_on_commit_callbacks):
    asked = []

    def broker(fails):
        def delay():
            if fails:
                raise ConnectionError("broker down")
            asked.append(1)

        return delay

    with mock.patch.object(send_queued_emails, "delay", side_effect=broker(True)):
        queue(1, django_capture_on_commit_callbacks)  # the order commits; its email waits
    with mock.patch.object(send_queued_emails, "delay", side_effect=broker(False)):
        queue(1, django_capture_on_commit_callbacks, start=1)
    assert asked == [1], "a failed publish did not leave the key that says a sender is queued"
    assert send_queued_emails() == 2 and len(mailoutbox) == 2


def test_without_a_broker_the_email_goes_at_commit(mailoutbox, django_capture_on_commit_callbacks):
    assert app.conf.task_always_eager  # the demo's set-up (tests/conftest.py keeps it so)
    queue(3, django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mailoutbox] == [f"buyer{i}@example.test" for i in range(3)]


@pytest.mark.django_db(transaction=True)
def test_senders_running_at_once_send_each_email_once(mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent senders need PostgreSQL's row locks (SKIP LOCKED)")
    with mock.patch.object(send_queued_emails, "delay"):
        for i in range(24):
            with transaction.atomic():
                queue_email(to=f"buyer{i}@example.test", subject=f"Order {i}", body="Thank you.")
    counts = race([send_queued_emails] * 4)
    assert not [c for c in counts if isinstance(c, Exception)], counts
    assert sum(counts) == 24
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"buyer{i}@example.test" for i in range(24))
