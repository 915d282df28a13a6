from django.contrib.auth import get_user_model
from django.utils import timezone
from ninja.security import HttpBearer

from auroramart.core import rows
from auroramart.staff.permissions import user_permissions

from .errors import ApiError
from .models import ApiToken, hash_token, password_fingerprint
from .tokens import invalid


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token's user becomes request.user. A token that is
    not valid is a 401 that says why: `token_expired` (refresh it) or `invalid_token`."""

    def authenticate(self, request, token):
        found = _token_with_user(hash_token(token))
        if found is None or not found.user.is_active:
            raise invalid("invalid_token", "This token is not valid: sign in again.")
        if found.expires_at <= timezone.now():
            raise invalid("token_expired", "This token expired: get a new one with POST /auth/refresh.")
        if found.fingerprint and found.fingerprint != password_fingerprint(found.user):
            raise invalid("invalid_token", "The password changed since this token was issued: sign in again.")
        if found.last_used_at is None or (timezone.now() - found.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        request.api_token = found
        return found.user


token_auth = TokenAuth()


def _token_with_user(key_hash: str) -> ApiToken | None:
    """The token with this hash and its user, in two constant statements (core.rows): every
    call with a token makes this read, and building the ORM's join cost three times as much as
    running both (#23)."""
    found = rows.where(ApiToken, key_hash=key_hash)  # unique: one or none
    if not found:
        return None
    users = rows.by_pk(get_user_model(), [found[0].user_id])
    if not users:
        return None
    found[0].user = users[0]
    return found[0]


def customer(request):
    """The signed-in customer; staff tokens use the staff endpoints."""
    if request.auth.is_staff:
        raise ApiError(403, "forbidden", "Staff tokens cannot use customer endpoints.")
    return request.auth


def require_permission(request, permission: str):
    if not request.auth.is_staff or permission not in user_permissions(request.auth):
        raise ApiError(403, "forbidden", "Your role does not allow this.")
    return request.auth
