from django.utils import timezone
from ninja.security import HttpBearer

from auroramart.staff.permissions import user_permissions

from .errors import ApiError
from .models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token's user becomes request.user."""

    def authenticate(self, request, token):
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), expires_at__gt=timezone.now(), user__is_active=True)
            .first()
        )
        if found is None:
            return None
        if found.last_used_at is None or (timezone.now() - found.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        request.api_token = found
        return found.user


token_auth = TokenAuth()


def customer(request):
    """The signed-in customer; staff tokens use the staff endpoints."""
    if request.auth.is_staff:
        raise ApiError(403, "forbidden", "Staff tokens cannot use customer endpoints.")
    return request.auth


def require_permission(request, permission: str):
    if not request.auth.is_staff or permission not in user_permissions(request.auth):
        raise ApiError(403, "forbidden", "Your role does not allow this.")
    return request.auth
