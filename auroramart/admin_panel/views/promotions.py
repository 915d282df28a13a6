from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.core.forms import StyledFormMixin
from auroramart.promotions.models import Coupon
from auroramart.staff.services import audit, snapshot

from ..decorators import panel_permission

FIELDS = [
    "code",
    "description",
    "kind",
    "value",
    "min_spend",
    "starts_at",
    "ends_at",
    "usage_limit",
    "per_customer_limit",
    "stackable",
    "is_active",
]


class CouponForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Coupon
        fields = FIELDS
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if Coupon.objects.filter(code__iexact=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another coupon has this code.")
        return code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "percent" and cleaned.get("value") and cleaned["value"] > 100:
            self.add_error("value", "A percentage cannot be above 100.")
        if cleaned.get("starts_at") and cleaned.get("ends_at") and cleaned["ends_at"] <= cleaned["starts_at"]:
            self.add_error("ends_at", "The end must be after the start.")
        return cleaned


@panel_permission("manage_promotions")
@require_http_methods(["GET", "POST"])
def coupon_list(request):
    form = CouponForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        coupon = form.save()
        audit(request, "create", coupon, changes={k: [None, v] for k, v in snapshot(coupon, FIELDS).items()})
        messages.success(request, f"Coupon {coupon.code} created.")
        return redirect("admin_panel:coupons")
    return render(
        request,
        "admin_panel/coupons.html",
        {"coupons": Coupon.objects.all(), "form": form, "title": "Coupons"},
    )


@panel_permission("manage_promotions")
@require_POST
def coupon_toggle(request, pk):
    coupon = get_object_or_404(Coupon, pk=pk)
    coupon.is_active = not coupon.is_active
    coupon.save(update_fields=["is_active"])
    audit(request, "update", coupon, changes={"is_active": [not coupon.is_active, coupon.is_active]})
    if request.headers.get("HX-Request"):  # inline: swap the button for the new state
        return render(request, "admin_panel/_coupon_toggle.html", {"c": coupon})
    return redirect("admin_panel:coupons")
