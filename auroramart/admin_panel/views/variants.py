"""The product editor's variants: options, the generated matrix, the grid and bulk changes.
Every change goes through catalog.variant_services (audited; stock through the ledger)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from auroramart.catalog import variant_services
from auroramart.catalog.models import Product
from auroramart.core.client import actor_for
from auroramart.inventory.services import edit_variants
from auroramart.staff.permissions import user_permissions

from ..decorators import panel_permission


def parse_options(text: str) -> dict[str, list[tuple[str, str]]]:
    """ "Size: XS, S, M" and "Colour: Navy #1f2a44, Black #111111", one option a line."""
    options: dict[str, list[tuple[str, str]]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        if not sep:
            raise variant_services.VariantError(f"Write “{line.strip()[:30]}” as Name: value, value, …")
        values = []
        for raw in rest.split(","):
            words = raw.split()
            swatch = words.pop() if len(words) > 1 and words[-1].startswith("#") else ""
            values.append((" ".join(words), swatch))
        options[name.strip()] = values
    return options


def options_text(product: Product) -> str:
    return "\n".join(
        f"{o.name}: " + ", ".join(f"{v.value} {v.swatch}".strip() for v in o.values.all())
        for o in product.options.prefetch_related("values")
    )


@panel_permission("manage_products")
@require_POST
def set_options(request, pk):
    product = get_object_or_404(Product, pk=pk)
    try:
        options = parse_options(request.POST.get("options", ""))
        variant_services.set_options(product=product, options=options, actor=actor_for(request))
        if request.POST.get("generate"):
            variant_services.generate_variants(product=product, actor=actor_for(request))
    except variant_services.VariantError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Options saved." + (" Variants generated." if request.POST.get("generate") else "")
        )
    return redirect("admin_panel:product", pk=pk)


def _allowed_fields(request) -> set[str]:
    perms = user_permissions(request.user)
    fields = {"sku", "reorder_level", "weight_grams", "is_active"}
    if "change_prices" in perms:
        fields |= {"price", "compare_at_price"}
    if "adjust_stock" in perms:
        fields.add("stock_quantity")
    return fields


@panel_permission("manage_products")
@require_POST
def save_grid(request, pk):
    """The grid (one row of inputs per variant), or a bulk price or stock for the ticked rows."""
    product = get_object_or_404(Product, pk=pk)
    allowed = _allowed_fields(request)
    ids = list(product.variants.values_list("pk", flat=True))
    rows: dict[int, dict] = {}
    if request.POST.get("action") == "bulk":
        chosen = {int(v) for v in request.POST.getlist("select") if v.isdigit()} & set(ids)
        values = {
            field: request.POST.get(f"bulk_{field}", "").strip()
            for field in ("price", "stock_quantity")
            if field in allowed and request.POST.get(f"bulk_{field}", "").strip()
        }
        if not chosen or not values:
            messages.error(request, "Tick some variants and enter a price or a stock level for them.")
            return redirect("admin_panel:product", pk=pk)
        rows = {vid: dict(values) for vid in chosen}
    else:
        for vid in ids:
            row = {}
            for field in variant_services.GRID_FIELDS:
                key = f"v-{vid}-{field}"
                if field == "is_active":
                    if f"v-{vid}-sku" in request.POST and field in allowed:
                        row[field] = key in request.POST
                elif key in request.POST and field in allowed:
                    row[field] = request.POST[key]
            if row:
                rows[vid] = row
    try:
        changed = edit_variants(
            product=product,
            rows=rows,
            actor=actor_for(request),
            reason=request.POST.get("reason") or "Variant grid",
        )
    except variant_services.VariantError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{changed} variant{'s' if changed != 1 else ''} changed.")
    return redirect("admin_panel:product", pk=pk)
