from django.conf import settings
from django.db import models

from .permissions import PERMISSIONS


class PanelAccess(models.Model):
    """Holds the admin panel's permissions; no rows are ever stored."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = list(PERMISSIONS.items())

    def __str__(self):
        return "admin panel access"


class AuditLog(models.Model):
    """Every staff write: who, what, on which object, the fields before and after, from where. Append-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_email = models.EmailField()
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.actor_email} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        # Append-only: an entry, once written, is never changed.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


class LoginAttempt(models.Model):
    email = models.CharField(max_length=254, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    success = models.BooleanField()
    # Refused by the sign-in throttle before the password was checked (signin.py).
    throttled = models.BooleanField(default=False)
    area = models.CharField(max_length=10, default="panel", help_text="panel, shop or api")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["email", "created_at"], name="login_attempt_email_at"),
            models.Index(fields=["ip", "created_at"], name="login_attempt_ip_at"),
        ]

    def __str__(self):
        return f"{self.email} {'ok' if self.success else 'failed'}"


class StaffSession(models.Model):
    """A staff member's signed-in session, so it can be listed and revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self):
        return f"{self.user_id} {self.session_key[:6]}…"


class CustomerNote(models.Model):
    """Staff notes about a customer (the CRM)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Note on customer {self.customer_id}"
