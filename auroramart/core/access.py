"""Access rules shared by every part of the shop.

Staff and customer accounts never overlap: customer features send staff to the
admin panel, and the admin panel refuses customers. Every admin-panel view
names the roles it admits (deny by default).
"""

from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect

from .htmx import is_htmx


def _to_login(request, login_url: str):
    target = f"{login_url}?next={quote(request.get_full_path())}"
    if is_htmx(request):
        # htmx would swap a redirect's page into the element; ask it to navigate instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def is_customer(user) -> bool:
    return user.is_authenticated and user.is_active and not user.is_staff


def _shoppers_only(view, *, guests: bool):
    """Staff are sent to the admin panel; guests to sign in unless `guests` may use the view."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated and not guests:
            return _to_login(request, settings.LOGIN_URL)
        if user.is_authenticated and user.is_staff:
            messages.info(request, "Staff accounts use the admin panel, not the shop's customer pages.")
            return redirect(settings.ADMIN_PANEL_URL)
        return view(request, *args, **kwargs)

    return wrapper


def customer_required(view):
    """Signed-in customers only; guests go to sign in, staff to the admin panel."""
    return _shoppers_only(view, guests=False)


def shopper_allowed(view):
    """Guests and signed-in customers (guest checkout, a guest's order); staff go to the panel."""
    return _shoppers_only(view, guests=True)


def admin_required(view):
    """Staff only: guests go to the staff sign-in, customers are refused."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return _to_login(request, f"{settings.ADMIN_PANEL_URL}login/")
        if not (user.is_staff and user.is_active):
            raise PermissionDenied("The admin panel is for staff only.")
        return view(request, *args, **kwargs)

    return wrapper


def role_required(roles):
    """Staff in one of `roles` (names of the admin-panel role groups); Superadmins always pass."""
    allowed = set(roles)

    def decorator(view):
        @admin_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            names = getattr(user, "_role_names", None)
            if names is None:
                names = user._role_names = set(user.groups.values_list("name", flat=True))
            if not (user.is_superuser or "Superadmin" in names or names & allowed):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        wrapper.required_roles = frozenset(allowed)
        return wrapper

    return decorator


def shopper_only(view):
    """Guests and customers (the cart works before sign-in); staff go to the admin panel."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_staff:
            messages.info(request, "Staff accounts use the admin panel, not the shop's customer pages.")
            return redirect(settings.ADMIN_PANEL_URL)
        return view(request, *args, **kwargs)

    return wrapper
