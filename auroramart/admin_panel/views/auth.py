import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from auroramart.accounts.backends import ACCOUNT_BACKEND
from auroramart.accounts.models import User
from auroramart.accounts.views import PasswordResetView as CustomerPasswordResetView
from auroramart.core.access import admin_required
from auroramart.core.client import Actor, actor_for, client_ip
from auroramart.staff import signin, two_factor
from auroramart.staff.models import LoginAttempt, StaffSession
from auroramart.staff.permissions import ROLES
from auroramart.staff.services import (
    create_staff,
    end_staff_session,
    revoke_sessions,
    start_staff_session,
    update_staff,
)

from ..decorators import panel_permission
from ..forms import StaffForm, StaffLoginForm

PENDING = "staff_two_factor_pending"


def _throttled(request, email: str, template: str, context: dict):
    wait = signin.wait_seconds(request, email)
    if not wait:
        return None
    signin.record(request, email, success=False, area="panel", throttled=True)
    response = render(
        request,
        template,
        {**context, "throttled": f"Too many failed attempts. Try again in {signin.describe_wait(wait)}."},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _finish_sign_in(request, user, email: str, nxt: str, device=None):
    request.session.pop(PENDING, None)
    login(request, user, backend=ACCOUNT_BACKEND)  # rotates the session key
    if device is not None:
        otp_login(request, device)  # request.user.is_verified() from now on
    start_staff_session(request)
    signin.record(request, email, user, success=True, area="panel")
    return redirect(nxt if nxt.startswith("/admin-panel/") else "admin_panel:dashboard")


@require_http_methods(["GET", "POST"])
def staff_login(request):
    """Step one: the password (throttled per account, per address and per both: signin.py).
    Staff with a second factor, or whose role needs one, go on to step two."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin_panel:dashboard")
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST":
        email = request.POST.get("username", "")
        refused = _throttled(
            request, email, "admin_panel/login.html", {"form": form, "title": "Staff sign in"}
        )
        if refused is not None:
            return refused
        nxt = request.GET.get("next", "")
        if form.is_valid():
            user = form.get_user()
            if not two_factor.needs_second_step(user):
                return _finish_sign_in(request, user, email, nxt)
            request.session.cycle_key()
            request.session[PENDING] = {"user": user.pk, "email": email, "at": time.time(), "next": nxt}
            return redirect("admin_panel:login_verify")
        signin.record(
            request, email, User.objects.filter(email__iexact=email).first(), success=False, area="panel"
        )
    return render(request, "admin_panel/login.html", {"form": form, "title": "Staff sign in"})


@require_http_methods(["GET", "POST"])
def staff_login_verify(request):
    """Step two: a code from the authenticator app or a recovery code; or, for a role that needs
    a second factor and has none yet, setting up the app (with recovery codes shown once)."""
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > settings.STAFF_TWO_FACTOR_PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, "Please sign in again.")
        return redirect("admin_panel:login")
    user = get_object_or_404(User, pk=pending["user"], is_staff=True, is_active=True)
    enrolling = not two_factor.enabled_for(user)
    device = two_factor.enrolment_device(user) if enrolling else None
    context = {"title": "Two-factor sign in", "enrolling": enrolling, "email": user.email}
    if enrolling:
        context |= {"qr": two_factor.qr_code(device), "secret": two_factor.secret_for_typing(device)}
    if request.method == "POST":
        email = pending["email"]
        refused = _throttled(request, email, "admin_panel/login_verify.html", context)
        if refused is not None:
            return refused
        code = request.POST.get("code", "")
        if enrolling:
            codes = two_factor.confirm_enrolment(
                user, code, actor=Actor(user=user, ip=client_ip(request) or None)
            )
            if codes is not None:
                _finish_sign_in(request, user, email, pending["next"], device=two_factor.app_device(user))
                request.session["recovery_codes"] = codes  # shown once, on the next page
                return redirect("admin_panel:two_factor")
        else:
            device = two_factor.verify(user, code)
            if device is not None:
                return _finish_sign_in(request, user, email, pending["next"], device=device)
        signin.record(request, email, user, success=False, area="panel")
        context["error"] = (
            "That code is not right. Enter the 6-digit code your app shows now, or a recovery code."
        )
        return render(request, "admin_panel/login_verify.html", context, status=400)
    return render(request, "admin_panel/login_verify.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def two_factor_settings(request):
    """Your two-factor sign-in: set it up, see how many recovery codes are left, make new ones."""
    user = request.user
    codes = request.session.pop("recovery_codes", None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "recovery" and two_factor.enabled_for(user):
            codes = two_factor.new_recovery_codes(user, actor=actor_for(request))
        elif action == "enrol":
            codes = two_factor.confirm_enrolment(user, request.POST.get("code", ""), actor=actor_for(request))
            if codes is None:
                messages.error(request, "That code is not right; enter the code your app shows now.")
            else:
                otp_login(request, two_factor.app_device(user))
        elif action == "disable" and not two_factor.required_for(user):
            two_factor.disable(user, actor=actor_for(request))
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("admin_panel:two_factor")
    enabled = two_factor.enabled_for(user)
    context = {
        "title": "Two-factor sign-in",
        "enabled": enabled,
        "required": two_factor.required_for(user),
        "codes": codes,
        "codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
    }
    if not enabled:
        device = two_factor.enrolment_device(user)
        context |= {"qr": two_factor.qr_code(device), "secret": two_factor.secret_for_typing(device)}
    return render(request, "admin_panel/two_factor.html", context)


@require_POST
def staff_logout(request):
    key = request.session.session_key
    logout(request)
    end_staff_session(key)
    return redirect("admin_panel:login")


class StaffPasswordResetView(CustomerPasswordResetView):
    success_url = reverse_lazy("accounts:password_reset_done")


@admin_required
@require_http_methods(["GET", "POST"])
def sessions(request):
    """Your own sessions: see where you are signed in, revoke one, or sign out everywhere."""
    if request.method == "POST":
        if "everywhere" in request.POST:
            revoke_sessions(request.user)
            return redirect("admin_panel:login")
        revoke_sessions(request.user, keys=[request.POST.get("session_key", "")])
        messages.success(request, "That session is signed out.")
        return redirect("admin_panel:sessions")
    return render(
        request,
        "admin_panel/sessions.html",
        {
            "sessions": StaffSession.objects.filter(user=request.user),
            "current": request.session.session_key,
            "title": "Your sessions",
        },
    )


@panel_permission("manage_staff")
@require_http_methods(["GET", "POST"])
def staff_list(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = User.objects.filter(email__iexact=data["email"], is_staff=False).exists()
        if existing:
            form.add_error(
                "email", "A customer account uses this email; staff and customer accounts never overlap."
            )
        else:
            user = create_staff(
                email=data["email"],
                password=data["password"] or None,
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                actor=actor_for(request),
            )
            messages.success(request, f"Staff account {user.email} saved as {data['role']}.")
            return redirect("admin_panel:staff")
    staff = User.objects.filter(is_staff=True).prefetch_related("groups").order_by("email")
    return render(
        request,
        "admin_panel/staff.html",
        {"staff": staff, "form": form, "roles": list(ROLES), "title": "Staff"},
    )


@panel_permission("manage_staff")
@require_POST
def staff_update(request, pk):
    member = get_object_or_404(User, pk=pk, is_staff=True)
    role = request.POST.get("role")
    active = False if "deactivate" in request.POST else True if "activate" in request.POST else None
    update_staff(member=member, actor=actor_for(request), role=role if role in ROLES else None, active=active)
    messages.success(request, f"{member.email} updated.")
    return redirect("admin_panel:staff")


@panel_permission("view_login_attempts")
def login_attempts(request):
    attempts = LoginAttempt.objects.select_related("user")
    if request.GET.get("failed"):
        attempts = attempts.filter(success=False)
    if request.GET.get("q"):
        attempts = attempts.filter(email__icontains=request.GET["q"])
    page = Paginator(attempts, 50).get_page(request.GET.get("page"))
    return render(request, "admin_panel/login_attempts.html", {"page": page, "title": "Sign-in attempts"})
