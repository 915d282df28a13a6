from functools import wraps

from django.core.exceptions import PermissionDenied

from auroramart.core.access import admin_required
from auroramart.staff.permissions import PERMISSIONS, user_permissions


def panel_permission(codename: str):
    """Deny by default: the view runs only for staff whose role has `codename`."""
    if codename not in PERMISSIONS:
        raise ValueError(f"unknown panel permission {codename!r}")

    def decorator(view):
        @admin_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if codename not in user_permissions(request.user):
                raise PermissionDenied(f"Your role does not include “{PERMISSIONS[codename]}”.")
            return view(request, *args, **kwargs)

        wrapper.panel_permission = codename
        return wrapper

    return decorator
