from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.core.client import actor_for
from auroramart.core.htmx import is_htmx
from auroramart.promotions.models import Coupon
from auroramart.promotions.services import create_coupon, set_coupon_active

from ..decorators import panel_permission
from ..forms import CouponForm


@panel_permission("manage_promotions")
@require_http_methods(["GET", "POST"])
def coupon_list(request):
    form = CouponForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        coupon = create_coupon(data=form.cleaned_data, actor=actor_for(request))
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
    coupon = set_coupon_active(coupon=coupon, active=not coupon.is_active, actor=actor_for(request))
    if is_htmx(request):  # inline: swap the button for the new state
        return render(request, "admin_panel/_coupon_toggle.html", {"c": coupon})
    return redirect("admin_panel:coupons")
