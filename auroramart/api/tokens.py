"""Signing in to the API: a short-lived access token and a refresh token, rotated on use.

- `POST /auth/token` (email + password) issues both; the access token lasts
  API_TOKEN_LIFETIME, the refresh token API_REFRESH_TOKEN_LIFETIME.
- `POST /auth/refresh` trades a refresh token for a new pair; the old one is spent. A spent
  one presented again was stolen (or replayed): every token of that sign-in (its family) is
  revoked, and the app signs in again.
- A password change or reset, or an erased account, ends every token at once (the tokens
  carry a fingerprint of the password, as Django's sessions do); `DELETE /auth/token` ends the
  sign-in it belongs to.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .errors import ApiError
from .models import ApiToken, RefreshToken, hash_token, password_fingerprint


@dataclass(frozen=True)
class Pair:
    access: str
    access_expires_at: datetime
    refresh: str
    refresh_expires_at: datetime
    staff: bool


def sign_in(user, name: str = "") -> Pair:
    return _pair(user, name, secrets.token_hex(16))


def _pair(user, name: str, family: str) -> Pair:
    access, raw_access = ApiToken.issue(user, name, family=family)
    raw_refresh = secrets.token_urlsafe(32)
    refresh = RefreshToken.objects.create(
        user=user,
        key_hash=hash_token(raw_refresh),
        family=family,
        name=name[:80],
        fingerprint=password_fingerprint(user),
        expires_at=timezone.now() + settings.API_REFRESH_TOKEN_LIFETIME,
    )
    return Pair(raw_access, access.expires_at, raw_refresh, refresh.expires_at, user.is_staff)


def refresh(raw: str) -> Pair:
    """A new pair for a refresh token, which is spent; see the module's docstring."""
    with transaction.atomic():
        token = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(key_hash=hash_token(raw))
            .first()
        )
        if token is None:
            raise invalid("invalid_token", "This refresh token is not valid: sign in again.")
        if token.used_at is not None:
            revoke_family(token.family)  # committed with the refusal: the thief's pair dies too
            refusal = invalid(
                "refresh_token_reused",
                "This refresh token was already used: every token of this sign-in is revoked. Sign in again.",
            )
        elif token.expires_at <= timezone.now():
            refusal = invalid("refresh_token_expired", "This refresh token expired: sign in again.")
        elif not token.user.is_active or token.fingerprint != password_fingerprint(token.user):
            revoke_family(token.family)
            refusal = invalid("invalid_token", "The password changed since this sign-in: sign in again.")
        else:
            RefreshToken.objects.filter(pk=token.pk).update(used_at=timezone.now())
            return _pair(token.user, token.name, token.family)
    raise refusal


def revoke_family(family: str) -> None:
    RefreshToken.objects.filter(family=family).delete()
    ApiToken.objects.filter(family=family).delete()


def invalid(code: str, message: str) -> ApiError:
    """A 401 that says why, with the RFC 6750 challenge."""
    return ApiError(
        401,
        code,
        message,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'},
    )
