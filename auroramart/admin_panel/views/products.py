from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from auroramart.catalog import services as catalog
from auroramart.catalog.models import Brand, Category, Product, ProductImage
from auroramart.catalog.product_forms import (
    NewProductForm,
    PriceForm,
    ProductForm,
    StockForm,
    TaxonomyForm,
)
from auroramart.catalog.variants import variant_of
from auroramart.core.client import actor_for
from auroramart.core.csv_export import csv_stream
from auroramart.inventory.importer import COLUMNS as PRODUCT_COLUMNS
from auroramart.inventory.importer import ImportFileError, export_rows, import_products
from auroramart.inventory.models import StockMovement
from auroramart.inventory.selectors import low_stock_variants
from auroramart.inventory.services import OutOfStock, adjust_stock
from auroramart.staff.permissions import user_permissions
from auroramart.staff.services import record_audit

from ..decorators import panel_permission
from .variants import options_text

PRODUCT_SORTS = {
    "name": "name",
    "price": "price",
    "-price": "-price",
    "stock": "stock_quantity",
    "newest": "-created_at",
    "best": "-sold_count",
}


@panel_permission("view_products")
def product_list(request):
    order = PRODUCT_SORTS.get(request.GET.get("sort"), "name")
    products = (
        Product.objects.select_related("category", "brand")
        # The list's thumbnails: one query for the page, whatever its length.
        .prefetch_related(
            Prefetch(
                "images", queryset=ProductImage.objects.filter(is_primary=True), to_attr="primary_images"
            )
        )
        .order_by(order, "pk")
    )
    if request.GET.get("q"):
        q = request.GET["q"]
        products = products.filter(Q(name__icontains=q) | Q(sku__istartswith=q))
    if request.GET.get("category"):
        products = products.filter(category__slug=request.GET["category"])
    if request.GET.get("active") in ("0", "1"):
        products = products.filter(is_active=request.GET["active"] == "1")
    page = Paginator(products, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "admin_panel/products.html",
        {"page": page, "categories": Category.objects.all(), "title": "Products", "sorts": PRODUCT_SORTS},
    )


@panel_permission("view_products")
@require_http_methods(["GET", "POST"])
def product_detail(request, pk):
    product = get_object_or_404(Product.objects.select_related("category", "subcategory", "brand"), pk=pk)
    perms = user_permissions(request.user)
    form = ProductForm(instance=product)
    price_form = PriceForm(instance=product)
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "details" and "manage_products" in perms:
            form = ProductForm(request.POST, instance=Product.objects.get(pk=pk))
            if form.is_valid():
                catalog.update_product(product=product, data=form.cleaned_data, actor=actor_for(request))
                messages.success(request, "Product saved.")
                return redirect("admin_panel:product", pk=pk)
        elif which == "price" and "change_prices" in perms:
            price_form = PriceForm(request.POST, instance=Product.objects.get(pk=pk))
            if price_form.is_valid():
                catalog.change_price(product=product, data=price_form.cleaned_data, actor=actor_for(request))
                messages.success(request, "Price saved.")
                return redirect("admin_panel:product", pk=pk)
        else:
            messages.error(request, "Your role cannot make that change.")
            return redirect("admin_panel:product", pk=pk)
    return render(
        request,
        "admin_panel/product_detail.html",
        {
            "product": product,
            "form": form,
            "price_form": price_form,
            "stock_form": StockForm(),
            "movements": StockMovement.objects.filter(product=product).select_related(
                "actor", "order", "variant"
            )[:20],
            "images": product.images.select_related("variant"),
            "variants": product.variants.order_by("position", "pk"),
            "options_text": options_text(product),
            "perms": perms,
            "title": product.name,
        },
    )


@panel_permission("adjust_stock")
@require_POST
def stock_adjust(request, pk):
    product = get_object_or_404(Product, pk=pk)
    form = StockForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a whole quantity and a reason.")
        return redirect("admin_panel:product", pk=pk)
    try:
        variant = variant_of(product, request.POST.get("variant"))
        adjust_stock(
            variant=variant,
            quantity=form.cleaned_data["quantity"],
            actor=actor_for(request),
            reason=form.cleaned_data["reason"],
            kind=form.cleaned_data["kind"],
        )
    except (OutOfStock, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("admin_panel:product", pk=pk)
    label = f" of {variant.name}" if variant.name else ""
    messages.success(request, f"Stock{label} is now {variant.stock_quantity}.")
    return redirect("admin_panel:product", pk=pk)


@panel_permission("manage_products")
@require_POST
def image_upload(request, pk):
    product = get_object_or_404(Product, pk=pk)
    upload = request.FILES.get("image")
    if upload is None:
        messages.error(request, "Choose a JPEG, PNG or WebP picture.")
        return redirect("admin_panel:product", pk=pk)
    try:
        variant = variant_of(product, request.POST["variant"]) if request.POST.get("variant") else None
        catalog.add_product_image(
            product=product,
            data=upload,
            filename=upload.name,
            primary=request.POST.get("primary") == "1",
            variant=variant,
            actor=actor_for(request),
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("admin_panel:product", pk=pk)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("admin_panel:product", pk=pk)
    messages.success(request, "Picture added.")
    return redirect("admin_panel:product", pk=pk)


@panel_permission("manage_products")
@require_POST
def image_primary(request, pk, image_id):
    product = get_object_or_404(Product, pk=pk)
    image = get_object_or_404(product.images, pk=image_id)
    catalog.set_primary_image(product=product, image=image, actor=actor_for(request))
    return redirect("admin_panel:product", pk=pk)


@panel_permission("manage_products")
@require_http_methods(["GET", "POST"])
def product_create(request):
    form = NewProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        product = catalog.create_product(**form.cleaned_data, actor=actor_for(request))
        messages.success(request, f"{product.name} created.")
        return redirect("admin_panel:product", pk=product.pk)
    return render(
        request,
        "admin_panel/form_page.html",
        {"form": form, "title": "New product", "submit": "Create product"},
    )


@panel_permission("manage_products")
@require_POST
def specification_save(request, pk):
    product = get_object_or_404(Product, pk=pk)
    if request.POST.get("delete"):
        if request.POST["delete"].isdigit():
            catalog.delete_specification(
                product=product, spec_id=int(request.POST["delete"]), actor=actor_for(request)
            )
        return redirect("admin_panel:product", pk=pk)
    name, value = request.POST.get("name", "").strip()[:100], request.POST.get("value", "").strip()[:255]
    if not name or not value:
        messages.error(request, "A specification needs a name and a value.")
        return redirect("admin_panel:product", pk=pk)
    catalog.set_specification(product=product, name=name, value=value, actor=actor_for(request))
    return redirect("admin_panel:product", pk=pk)


@panel_permission("manage_products")
@require_http_methods(["GET", "POST"])
def taxonomy(request):
    form = TaxonomyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        obj = catalog.create_taxonomy(
            kind=data["kind"], name=data["name"], category=data.get("category"), actor=actor_for(request)
        )
        messages.success(request, f"{data['kind'].capitalize()} {obj.name} created.")
        return redirect("admin_panel:taxonomy")
    return render(
        request,
        "admin_panel/taxonomy.html",
        {
            "form": form,
            "categories": Category.objects.prefetch_related("subcategories"),
            "brands": Brand.objects.all(),
            "title": "Categories and brands",
        },
    )


@panel_permission("manage_products")
@require_POST
def taxonomy_change(request, kind, pk):
    """Rename or delete a category, subcategory or brand."""
    model = catalog.TAXONOMY.get(kind)
    if model is None:
        raise Http404
    obj = get_object_or_404(model, pk=pk)
    try:
        if request.POST.get("action") == "delete":
            catalog.delete_taxonomy(obj=obj, actor=actor_for(request))
            messages.success(request, f"{obj.name} deleted.")
        else:
            renamed = catalog.rename_taxonomy(
                obj=obj, name=request.POST.get("name", "")[:100], actor=actor_for(request)
            )
            messages.success(request, f"Renamed to {renamed.name}.")
    except catalog.TaxonomyError as exc:
        messages.error(request, str(exc))
    return redirect("admin_panel:taxonomy")


@panel_permission("manage_products")
@require_POST
def image_move(request, pk, image_id):
    """Move a picture one place earlier or later in the gallery."""
    product = get_object_or_404(Product, pk=pk)
    catalog.move_image(
        product=product, image_id=image_id, up=request.POST.get("direction") == "up", actor=actor_for(request)
    )
    return redirect("admin_panel:product", pk=pk)


@panel_permission("view_products")
def low_stock(request):
    page = Paginator(low_stock_variants(), 50).get_page(request.GET.get("page"))
    return render(request, "admin_panel/low_stock.html", {"page": page, "title": "Low stock"})


@panel_permission("change_prices")
@require_http_methods(["GET", "POST"])
def bulk_price(request):
    categories = Category.objects.all()
    if request.method == "POST":
        try:
            percent = Decimal(request.POST.get("percent", ""))
            if not Decimal("-90") <= percent <= Decimal("200") or percent == 0:
                raise InvalidOperation
        except InvalidOperation:
            messages.error(request, "Enter a change between -90% and +200% (not 0).")
            return redirect("admin_panel:bulk_price")
        changed = catalog.change_prices(
            category_slug=request.POST.get("category", ""), percent=percent, actor=actor_for(request)
        )
        messages.success(request, f"Changed the price of {changed} products by {percent}%.")
        return redirect("admin_panel:products")
    return render(
        request, "admin_panel/bulk_price.html", {"categories": categories, "title": "Bulk price change"}
    )


@panel_permission("import_products")
@require_http_methods(["GET", "POST"])
def product_import(request):
    result, error = None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose a CSV file."
        else:
            try:
                result = import_products(
                    upload.read(),
                    dry_run=request.POST.get("confirm") != "1",
                    skip_invalid=request.POST.get("skip_invalid") == "1",
                    actor=actor_for(request),
                    source=upload.name,
                )
            except ImportFileError as exc:
                error = str(exc)
            if result and result.written:
                messages.success(request, f"Imported: {result.created} created, {result.updated} updated.")
                return redirect("admin_panel:products")
    return render(
        request, "admin_panel/import.html", {"result": result, "error": error, "title": "Import products"}
    )


@panel_permission("import_products")
def product_export(request):
    header = list(PRODUCT_COLUMNS.values())  # the import's own columns: an export imports back

    record_audit(actor_for(request), "export", object_type="catalog.Product", object_repr="CSV export")
    return csv_stream("products.csv", header, export_rows())


@panel_permission("view_products")
def inventory(request):
    """/admin-panel/inventory/, the address the original specification gave the stock screen:
    the products screen, where stock is managed (filters kept)."""
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("admin_panel:products") + (f"?{query}" if query else ""))
