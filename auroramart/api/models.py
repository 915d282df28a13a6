import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def password_fingerprint(user) -> str:
    """Changes whenever the password does (a change, a reset, an erased account): every token
    issued before then stops working, as Django's sessions do."""
    return salted_hmac("api.token", user.password or "", algorithm="sha256").hexdigest()[:32]


class ApiToken(models.Model):
    """A bearer (access) token for the API, short-lived (API_TOKEN_LIFETIME). Only its hash is
    stored; the customer or staff member sees the token once, when it is issued. A refresh token
    of the same `family` gets the next one (api/tokens.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=80, blank=True)
    family = models.CharField(max_length=32, blank=True, db_index=True)
    fingerprint = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"token {self.pk} of {self.user_id}"

    @classmethod
    def issue(cls, user, name: str = "", family: str = "") -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=hash_token(raw),
            name=name[:80],
            family=family,
            fingerprint=password_fingerprint(user),
            expires_at=timezone.now() + settings.API_TOKEN_LIFETIME,
        )
        return token, raw

    def revoke(self) -> None:
        """Signing out: this token, and the refresh tokens of its sign-in, stop working at once."""
        if self.family:
            RefreshToken.objects.filter(family=self.family).delete()
            ApiToken.objects.filter(family=self.family).delete()
        self.delete()


class RefreshToken(models.Model):
    """Gets a new access token (and a new refresh token: rotation) without the password. Each
    is used once; a used one presented again means it was stolen, and its whole family (every
    token of that sign-in) is revoked. Only the hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    family = models.CharField(max_length=32, db_index=True)
    name = models.CharField(max_length=80, blank=True)
    fingerprint = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"refresh token {self.pk} of {self.user_id}"


class IdempotentRequest(models.Model):
    """The first answer to a request made with an Idempotency-Key header, replayed
    for the same key and body; see api/idempotency.py for the rules."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)  # kept whole: never cut, so long keys cannot collide
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # none while in flight
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)  # moved on when an abandoned one is taken over

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_once")]

    def __str__(self):
        return self.key
