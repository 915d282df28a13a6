from django.db import models


class OutboxEmail(models.Model):
    """An email waiting to be sent. It is written in the same transaction as what
    caused it; a task sends it once and marks it, and a periodic job retries what
    is left, so an email survives the broker being down and is never sent twice."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.subject} → {self.to}"
