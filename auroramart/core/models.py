from django.db import models


class OutboxEmail(models.Model):
    """An email waiting to be sent. It is written in the same transaction as what
    caused it; a task sends it once and marks it, and a periodic job retries what
    is left, so an email survives the broker being down and is never sent twice."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()  # the plain-text part
    html = models.TextField(blank=True)  # the HTML alternative (core/emails.py)
    headers = models.JSONField(default=dict, blank=True)  # List-Unsubscribe, ...
    # What to attach, rendered when sent (a PDF invoice is made from the order, not stored twice).
    attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.subject} → {self.to}"
