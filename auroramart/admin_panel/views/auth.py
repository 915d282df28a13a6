from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.accounts.decorators import admin_required
from auroramart.accounts.models import User
from auroramart.accounts.views import PasswordResetView as CustomerPasswordResetView
from auroramart.core.forms import StyledFormMixin

from ..decorators import panel_permission
from ..models import LoginAttempt, StaffSession
from ..permissions import ROLES
from ..services import audit, create_staff, record_login_attempt, revoke_sessions, start_staff_session


class StaffLoginForm(StyledFormMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email address or password is not right.",
        "not_staff": "This is not a staff account. Customers sign in at the shop.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Staff email"

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


@require_http_methods(["GET", "POST"])
def staff_login(request):
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin_panel:dashboard")
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST":
        email = request.POST.get("username", "")
        if form.is_valid():
            user = form.get_user()
            login(request, user)  # rotates the session key
            start_staff_session(request)
            record_login_attempt(request, email, user, success=True, area="panel")
            nxt = request.GET.get("next", "")
            return redirect(nxt if nxt.startswith("/admin-panel/") else "admin_panel:dashboard")
        record_login_attempt(
            request, email, User.objects.filter(email__iexact=email).first(), success=False, area="panel"
        )
    return render(request, "admin_panel/login.html", {"form": form, "title": "Staff sign in"})


@require_POST
def staff_logout(request):
    key = request.session.session_key
    logout(request)
    StaffSession.objects.filter(session_key=key).delete()
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


class StaffForm(StyledFormMixin, forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="Leave empty to send a reset link."
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
            )
            audit(request, "create", user, changes={"role": [None, data["role"]]})
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
    before = {"role": ", ".join(member.groups.values_list("name", flat=True)), "is_active": member.is_active}
    if "role" in request.POST and request.POST["role"] in ROLES:
        member.groups.set([Group.objects.get(name=request.POST["role"])])
    if "deactivate" in request.POST and member != request.user:
        member.is_active = False
        member.save(update_fields=["is_active"])
        revoke_sessions(member)
    if "activate" in request.POST:
        member.is_active = True
        member.save(update_fields=["is_active"])
    after = {"role": ", ".join(member.groups.values_list("name", flat=True)), "is_active": member.is_active}
    audit(
        request, "update", member, changes={k: [before[k], after[k]] for k in after if before[k] != after[k]}
    )
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
