"""Staff endpoints: the token's user must hold the role permission, as in the panel,
and every write is in the audit log."""

from django.db.models import F
from ninja import Query, Router

from auroramart.catalog import services as catalog
from auroramart.catalog.models import Product
from auroramart.catalog.product_forms import PriceForm
from auroramart.catalog.variants import variant_of
from auroramart.core.client import actor_for
from auroramart.inventory.services import OutOfStock, adjust_stock
from auroramart.orders import services as orders
from auroramart.orders.models import Order
from auroramart.orders.selectors import with_item_count
from auroramart.orders.services import OrderActionError

from .auth import require_permission, token_auth
from .errors import ERRORS, ApiError, bad_request, form_fields, not_found
from .pagination import MAX_PAGE_SIZE, cursor_query, page_of
from .schemas import (
    PathId,
    PriceIn,
    StaffOrderOut,
    StaffOrderPage,
    StaffProductOut,
    StaffProductPage,
    StatusIn,
    StockIn,
)
from .serializers import order_summary

router = Router(tags=["staff"], auth=token_auth)
PRODUCT_FIELDS = (
    "id",
    "sku",
    "name",
    "price",
    "compare_at_price",
    "stock_quantity",
    "reorder_level",
    "is_active",
)


def _product(p) -> dict:
    return {f: getattr(p, "pk" if f == "id" else f) for f in PRODUCT_FIELDS}


@router.get("/staff/products", response={200: StaffProductPage, **ERRORS})
def products(
    request,
    q: str = Query("", max_length=100),
    low_stock: bool = False,
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = cursor_query(),
):
    require_permission(request, "view_products")
    rows = Product.objects.order_by("name", "pk")
    if q.strip():
        rows = rows.filter(name__icontains=q.strip()) | rows.filter(sku__istartswith=q.strip())
    if low_stock:
        rows = rows.filter(stock_quantity__lte=F("reorder_level"))
    return page_of(rows, page, page_size, _product, cursor=cursor, request=request)


def _get_product(product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise not_found("That product")
    return product


@router.patch("/staff/products/{product_id}/price", response={200: StaffProductOut, **ERRORS})
def change_price(request, product_id: PathId, body: PriceIn):
    require_permission(request, "change_prices")
    product = _get_product(product_id)
    form = PriceForm(
        {"price": body.price, "compare_at_price": body.compare_at_price or ""},
        instance=_get_product(product_id),
    )
    if not form.is_valid():
        raise bad_request("The price is not valid.", form_fields(form))
    return _product(catalog.change_price(product=product, data=form.cleaned_data, actor=actor_for(request)))


@router.post("/staff/products/{product_id}/stock", response={200: StaffProductOut, **ERRORS})
def change_stock(request, product_id: PathId, body: StockIn):
    require_permission(request, "adjust_stock")
    product = _get_product(product_id)
    try:
        variant = variant_of(product, body.variant_id)
        adjust_stock(variant=variant, quantity=body.quantity, actor=actor_for(request), reason=body.reason)
    except (OutOfStock, ValueError) as exc:
        message = str(exc) or "Stock cannot go below zero."
        raise bad_request(message, {"quantity": [message]}) from None
    product.refresh_from_db()
    return _product(product)


def _staff_order(order) -> dict:
    return {
        **order_summary(order),
        "customer": order.email,
        "allowed_transitions": orders.allowed_transitions(order),
    }


@router.get("/staff/orders", response={200: StaffOrderPage, **ERRORS})
def order_list(
    request,
    status: str = Query("", max_length=20),
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = cursor_query(),
):
    require_permission(request, "view_orders")
    if status and status not in Order.Status.values:
        raise bad_request("Unknown status.", {"status": [f"One of: {', '.join(Order.Status.values)}."]})
    rows = with_item_count(Order.objects.select_related("user")).order_by("-placed_at", "-pk")
    if status:
        rows = rows.filter(status=status)
    return page_of(rows, page, page_size, _staff_order, cursor=cursor, request=request)


@router.post("/staff/orders/{number}/status", response={200: StaffOrderOut, **ERRORS})
def change_status(request, number: str, body: StatusIn):
    require_permission(request, "manage_orders")
    order = Order.objects.select_related("user").filter(number=number).first()
    if order is None:
        raise not_found("That order")
    try:
        order = orders.change_status(
            order=order,
            to_status=body.status,
            actor=actor_for(request),
            note=body.note,
            tracking=orders.Tracking.from_data(body.dict()),
        )
    except OrderActionError as exc:
        raise ApiError(409, "not_allowed", str(exc)) from None
    return _staff_order(order)
