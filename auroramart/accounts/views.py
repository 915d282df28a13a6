from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.catalog.models import Product
from auroramart.core.access import customer_required
from auroramart.core.forms import safe_next
from auroramart.core.htmx import is_htmx
from auroramart.staff import signin

from . import selectors, services
from .backends import ACCOUNT_BACKEND
from .forms import (
    AddressForm,
    AvatarForm,
    CustomerLoginForm,
    DeleteAccountForm,
    ProfileForm,
    RegistrationForm,
    StyledPasswordChangeForm,
    StyledPasswordResetForm,
    StyledSetPasswordForm,
)
from .models import Address


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.register_customer(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                demographics=form.demographics(),
                marketing_opt_in=data["marketing_opt_in"],
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            login(request, user, backend=ACCOUNT_BACKEND)
            services.signed_in(user=user, session=request.session)
            messages.success(request, f"Welcome to AuroraMart, {user.first_name}!")
            return redirect("pages:home")
    return render(request, "accounts/register.html", {"form": form, "title": "Create your account"})


class CustomerLoginView(auth_views.LoginView):
    form_class = CustomerLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": "Sign in"}

    def post(self, request, *args, **kwargs):
        """Throttled before the password is checked (admin_panel/signin.py): growing delays
        per account and address, per address, and (capped at a minute) per account."""
        email = request.POST.get("username", "")
        wait = signin.wait_seconds(request, email)
        if wait:
            signin.record(request, email, success=False, area="shop", throttled=True)
            response = render(
                request,
                "accounts/locked_out.html",
                {"title": "Too many attempts", "wait": signin.describe_wait(wait)},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)  # login() rotates the session key
        services.signed_in(user=self.request.user, session=self.request.session)
        signin.record(
            self.request, form.cleaned_data.get("username", ""), self.request.user, success=True, area="shop"
        )
        return response

    def form_invalid(self, form):
        email = self.request.POST.get("username", "")
        signin.record(self.request, email, None, success=False, area="shop")
        return super().form_invalid(form)


class CustomerLogoutView(auth_views.LogoutView):
    """POST only (Django's default); the whole session is flushed."""

    next_page = reverse_lazy("pages:home")


@customer_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_profile(
            user=user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            demographics=form.demographics(),
            marketing_opt_in=data["marketing_opt_in"],
            preferred_categories=data["preferred_categories"],
        )
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "avatar_form": AvatarForm(), "title": "Your profile", "tab": "profile"},
    )


@customer_required
@require_POST
def avatar(request):
    if "remove" in request.POST:
        services.remove_avatar(user=request.user)
        messages.success(request, "Your picture is removed.")
        return redirect("accounts:profile")
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.set_avatar(user=request.user, upload=form.cleaned_data["avatar"])
        except ValidationError as exc:
            form.add_error("avatar", exc)
        else:
            messages.success(request, "Your new picture is saved.")
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": ProfileForm(initial=ProfileForm.initial_for(request.user)),
            "avatar_form": form,
            "title": "Your profile",
            "tab": "profile",
        },
        status=400,
    )


@customer_required
def address_list(request):
    return render(
        request,
        "accounts/addresses.html",
        {"addresses": selectors.addresses(request.user), "title": "Your addresses", "tab": "addresses"},
    )


@customer_required
@require_http_methods(["GET", "POST"])
def address_edit(request, pk=None):
    address = get_object_or_404(Address, pk=pk, user=request.user) if pk else None
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        services.save_address(user=request.user, address=address, data=form.cleaned_data)
        messages.success(request, "Address saved.")
        return redirect(safe_next(request, "accounts:addresses"))
    title = "Edit address" if address else "New address"
    return render(request, "accounts/address_form.html", {"form": form, "title": title, "tab": "addresses"})


@customer_required
@require_POST
def address_delete(request, pk):
    address = get_object_or_404(Address, pk=pk, user=request.user)
    services.delete_address(user=request.user, address=address)
    messages.success(request, "Address removed.")
    return redirect("accounts:addresses")


@customer_required
def wishlist(request):
    return render(
        request,
        "accounts/wishlist.html",
        {"items": list(selectors.wishlist(request.user)), "title": "Your wishlist", "tab": "wishlist"},
    )


def _wishlist_button(request, product, saved: bool):
    return render(request, "accounts/_wishlist_button.html", {"product": product, "saved": saved})


@customer_required
@require_POST
def wishlist_add(request, product_id):
    product = get_object_or_404(Product, pk=product_id, is_active=True)
    services.add_to_wishlist(user=request.user, product=product)
    if is_htmx(request):
        return _wishlist_button(request, product, True)
    messages.success(request, f"{product.name} is on your wishlist.")
    return redirect(safe_next(request, product.get_absolute_url()))


@customer_required
@require_POST
def wishlist_remove(request, product_id):
    services.remove_from_wishlist(user=request.user, product_id=product_id)
    if is_htmx(request):
        if request.POST.get("from") == "wishlist":
            return HttpResponse("")  # the row disappears from the wishlist page
        product = get_object_or_404(Product, pk=product_id)
        return _wishlist_button(request, product, False)
    return redirect(safe_next(request, "accounts:wishlist"))


@customer_required
@require_POST
def wishlist_move_to_cart(request, product_id):
    from auroramart.cart.services import CartError, add_item
    from auroramart.cart.storage import DbCart

    try:
        product = add_item(DbCart(request.user), product_id=product_id, quantity=1).product
    except CartError as exc:
        messages.error(request, str(exc))
    else:
        services.remove_from_wishlist(user=request.user, product_id=product.pk)
        messages.success(request, f"{product.name} moved to your cart.")
    return redirect("accounts:wishlist")


@customer_required
def notification_list(request):
    page = Paginator(selectors.notifications(request.user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/notifications.html",
        {"page": page, "title": "Notifications", "tab": "notifications"},
    )


@customer_required
@require_POST
def notifications_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    services.mark_notifications_read(user=request.user, ids=ids)
    if is_htmx(request):
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return redirect("accounts:notifications")


@customer_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.delete_customer_account(user=request.user)
        logout(request)
        messages.success(request, "Your account is deleted and your personal data erased.")
        return redirect("pages:home")
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form, "title": "Delete your account", "tab": "security"},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = StyledPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")
    extra_context = {"title": "Change your password", "tab": "security"}

    def dispatch(self, request, *args, **kwargs):
        return customer_required(super().dispatch)(request, *args, **kwargs)

    def form_valid(self, form):
        messages.success(self.request, "Your password is changed.")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = StyledPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_context = {"title": "Reset your password"}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = StyledSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    extra_context = {"title": "Choose a new password"}


@csrf_exempt  # the signed link is the authority; mail clients post to it in one click (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks to confirm (a link scanner must not unsubscribe anyone); POST unsubscribes."""
    if request.method == "POST":
        if not services.unsubscribe(token=token):
            raise Http404("This link is not valid.")
        return render(request, "accounts/unsubscribed.html", {"title": "You are unsubscribed", "done": True})
    return render(request, "accounts/unsubscribed.html", {"title": "Stop marketing emails", "done": False})
