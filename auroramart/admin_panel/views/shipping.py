"""Shipping zones, their delivery methods and rate bands, and tax: the zones' rates per tax class
and the categories' tax classes (manage_shipping)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.catalog.models import Category
from auroramart.catalog.services import set_category_tax_class
from auroramart.core.client import actor_for
from auroramart.shipping.models import ShippingMethod, ShippingZone
from auroramart.shipping.services import ShippingError, delete_method, rates_text, save_method, save_zone
from auroramart.tax.models import TaxClass
from auroramart.tax.services import TaxError, set_rates

from ..decorators import panel_permission


def _errors(request, exc: ShippingError) -> None:
    for field, message in exc.errors.items():
        messages.error(request, f"{field.replace('_', ' ').capitalize()}: {message}")


@panel_permission("manage_shipping")
@require_http_methods(["GET", "POST"])
def zones(request):
    """Every zone with its methods, a new zone, and the categories' tax classes."""
    if request.method == "POST":
        try:
            zone = save_zone(zone=None, data=request.POST, actor=actor_for(request))
        except ShippingError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Zone {zone.name} created: add its delivery methods.")
            return redirect("admin_panel:shipping_zone", pk=zone.pk)
    return render(
        request,
        "admin_panel/shipping_zones.html",
        {
            "zones": ShippingZone.objects.prefetch_related("methods__rates", "tax_rates__tax_class"),
            "categories": Category.objects.select_related("tax_class").order_by("position", "name"),
            "tax_classes": TaxClass.objects.all(),
            "title": "Shipping & tax",
        },
    )


@panel_permission("manage_shipping")
@require_http_methods(["GET", "POST"])
def zone(request, pk):
    zone = get_object_or_404(ShippingZone, pk=pk)
    if request.method == "POST":
        try:
            save_zone(zone=zone, data=request.POST, actor=actor_for(request))
        except ShippingError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Zone saved.")
        return redirect("admin_panel:shipping_zone", pk=pk)
    methods = list(zone.methods.prefetch_related("rates"))
    rates = {r.tax_class.code: r for r in zone.tax_rates.select_related("tax_class")}
    return render(
        request,
        "admin_panel/shipping_zone.html",
        {
            "zone": zone,
            "methods": [(m, rates_text(m)) for m in methods],
            "bases": ShippingMethod.Basis.choices,
            "tax_rows": [(c, rates.get(c.code)) for c in TaxClass.objects.all()],
            "tax_name": next((r.name for r in rates.values()), "GST"),
            "title": f"Zone: {zone.name}",
        },
    )


@panel_permission("manage_shipping")
@require_POST
def method(request, pk):
    """Add a method to the zone (no `method` field) or change or delete one."""
    zone = get_object_or_404(ShippingZone, pk=pk)
    existing = (
        get_object_or_404(zone.methods, pk=request.POST["method"]) if request.POST.get("method") else None
    )
    try:
        if existing is not None and request.POST.get("delete"):
            delete_method(method=existing, actor=actor_for(request))
            messages.success(request, f"{existing.name} removed.")
        else:
            saved = save_method(zone=zone, method=existing, data=request.POST, actor=actor_for(request))
            messages.success(request, f"{saved.name} saved.")
    except ShippingError as exc:
        _errors(request, exc)
    return redirect("admin_panel:shipping_zone", pk=pk)


@panel_permission("manage_shipping")
@require_POST
def tax_rates(request, pk):
    zone = get_object_or_404(ShippingZone, pk=pk)
    codes = TaxClass.objects.values_list("code", flat=True)
    try:
        set_rates(
            zone=zone,
            rates={c: request.POST.get(f"rate_{c}", "") for c in codes},
            name=request.POST.get("name", ""),
            actor=actor_for(request),
        )
    except TaxError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Tax rates saved.")
    return redirect("admin_panel:shipping_zone", pk=pk)


@panel_permission("manage_shipping")
@require_POST
def category_tax(request):
    """Each category's tax class (`class_<category id>`: a class code, or empty for the default)."""
    classes = {c.code: c for c in TaxClass.objects.all()}
    actor = actor_for(request)
    for category in Category.objects.select_related("tax_class"):
        key = f"class_{category.pk}"
        if key not in request.POST:
            continue
        chosen = classes.get(request.POST[key])
        if (chosen.pk if chosen else None) != category.tax_class_id:
            set_category_tax_class(category=category, tax_class=chosen, actor=actor)
    messages.success(request, "Tax classes saved.")
    return redirect("admin_panel:shipping")
