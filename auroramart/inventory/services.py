"""Every change to stock goes through here: rows locked in primary-key order,
re-checked, updated with F() in one statement, and written to the ledger."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from auroramart.catalog.models import Product
from auroramart.catalog.selectors import forget_live_product
from auroramart.core.client import Actor
from auroramart.staff.services import actor_user, record_audit

from .models import LowStockAlert, StockMovement


class OutOfStock(Exception):
    def __init__(self, shortages: list[tuple[Product, int, int]]):
        self.shortages = shortages  # (product, requested, available)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        for product, requested, available in self.shortages:
            if available <= 0:
                parts.append(f"{product.name} is out of stock")
            else:
                parts.append(f"only {available} of {product.name} left (you asked for {requested})")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."


@dataclass(frozen=True)
class Change:
    product_id: int
    quantity: int  # signed


def lock_products(ids: Iterable[int]) -> dict[int, Product]:
    """Lock the products' rows, always in primary-key order so two buyers never deadlock."""
    ids = sorted(set(ids))
    products = Product.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {p.pk: p for p in products}


def apply_changes(
    locked: dict[int, Product],
    changes: list[Change],
    *,
    kind: str,
    order=None,
    actor=None,
    reason: str = "",
    count_as_sold: bool = False,
) -> list[StockMovement]:
    """Apply signed stock changes to already-locked products and write the ledger.

    Costs a fixed number of queries whatever the number of products. Raises
    OutOfStock, changing nothing, when any product would go below zero.
    """
    totals: dict[int, int] = {}
    for change in changes:
        if change.quantity:
            totals[change.product_id] = totals.get(change.product_id, 0) + change.quantity
    if not totals:
        return []
    shortages = [
        (locked[pk], -delta, locked[pk].stock_quantity)
        for pk, delta in totals.items()
        if locked[pk].stock_quantity + delta < 0
    ]
    if shortages:
        raise OutOfStock(shortages)
    delta_case = Case(
        *[When(pk=pk, then=Value(delta)) for pk, delta in totals.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    updates = {"stock_quantity": F("stock_quantity") + delta_case}
    if count_as_sold:
        sold_case = Case(
            *[When(pk=pk, then=Value(-delta)) for pk, delta in totals.items()],
            default=Value(0),
            output_field=IntegerField(),
        )
        updates["sold_count"] = F("sold_count") + sold_case
    Product.objects.filter(pk__in=list(totals)).update(**updates)
    movements = []
    for pk, delta in totals.items():
        product = locked[pk]
        before = product.stock_quantity
        product.stock_quantity = before + delta
        movements.append(
            StockMovement(
                product=product,
                kind=kind,
                quantity=delta,
                balance_after=product.stock_quantity,
                order=order,
                actor=actor,
                reason=reason[:255],
            )
        )
    StockMovement.objects.bulk_create(movements)
    _track_low_stock(locked, totals)
    ids = list(totals)
    transaction.on_commit(lambda: forget_live_product(*ids))
    return movements


def _track_low_stock(locked: dict[int, Product], totals: dict[int, int]) -> None:
    back = [
        pk
        for pk, delta in totals.items()
        if locked[pk].stock_quantity > 0 >= locked[pk].stock_quantity - delta
    ]
    if back:
        from .tasks import notify_back_in_stock

        transaction.on_commit(lambda: notify_back_in_stock.delay(back))
    fell, recovered = [], []
    for pk, delta in totals.items():
        product = locked[pk]
        before, after = product.stock_quantity - delta, product.stock_quantity
        if after <= product.reorder_level < before:
            fell.append(product)
        elif before <= product.reorder_level < after:
            recovered.append(pk)
    if recovered:
        LowStockAlert.objects.filter(product_id__in=recovered, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    if fell:
        LowStockAlert.objects.bulk_create(
            [LowStockAlert(product=p, stock_at_alert=p.stock_quantity) for p in fell], ignore_conflicts=True
        )
        from .tasks import email_low_stock_alert

        ids = [p.pk for p in fell]
        transaction.on_commit(lambda: email_low_stock_alert.delay(ids))


@transaction.atomic
def receive_opening_stock(*, product, opening_stock: int, actor: Actor | None = None) -> None:
    """On ProductCreated: a new product's opening stock, as a receipt in the ledger."""
    if opening_stock:
        adjust_stock(
            product=product, quantity=opening_stock, actor=actor, reason="Opening stock", kind="receipt"
        )


@transaction.atomic
def adjust_stock(
    *,
    product: Product,
    quantity: int,
    actor: Actor | None = None,
    reason: str,
    kind: str = StockMovement.Kind.ADJUSTMENT,
):
    """A manual change by staff (or a receipt of goods), with its reason in the ledger and,
    for a staff member, the audit log."""
    if not reason.strip():
        raise ValueError("A stock adjustment needs a reason.")
    locked = lock_products([product.pk])
    before = locked[product.pk].stock_quantity
    movements = apply_changes(
        locked, [Change(product.pk, quantity)], kind=kind, actor=actor_user(actor), reason=reason
    )
    product.stock_quantity = locked[product.pk].stock_quantity
    record_audit(actor, "adjust_stock", product, changes={"stock_quantity": [before, product.stock_quantity]})
    return movements[0] if movements else None


def set_stock_levels(levels: dict[int, int], *, kind: str, actor=None, reason: str = "") -> int:
    """Bring products to absolute stock levels (imports, stock takes) through the ledger.

    Must run inside the caller's transaction. Returns the number of products changed.
    """
    locked = lock_products(levels)
    changes = [
        Change(pk, levels[pk] - p.stock_quantity)
        for pk, p in locked.items()
        if levels[pk] != p.stock_quantity
    ]
    apply_changes(locked, changes, kind=kind, actor=actor, reason=reason)
    return len(changes)


def record_opening_stock(
    products: list[Product], *, kind: str = StockMovement.Kind.RECEIPT, reason: str = "Opening stock"
) -> None:
    """Ledger rows for the stock that bulk-created products start with (imports, sample data)."""
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                product_id=p.pk,
                kind=kind,
                quantity=p.stock_quantity,
                balance_after=p.stock_quantity,
                reason=reason,
            )
            for p in products
            if p.stock_quantity
        ],
        batch_size=5000,
    )


def send_low_stock_digest() -> int:
    """The daily digest for staff: every product still at or below its reorder level."""
    from auroramart.core.outbox import queue_email

    alerts = list(
        LowStockAlert.objects.filter(resolved_at__isnull=True, product__is_active=True)
        .select_related("product")
        .order_by("product__stock_quantity", "product__name")
    )
    if not alerts:
        return 0
    lines = [
        f"- {a.product.name} ({a.product.sku}): {a.product.stock_quantity} left, reorder level "
        f"{a.product.reorder_level}, suggest ordering {a.product.reorder_quantity} (low since {a.created_at:%d %b})"
        for a in alerts
    ]
    with transaction.atomic():
        for to in settings.STAFF_EMAILS:
            queue_email(
                to=to,
                subject=f"[AuroraMart] Low-stock digest: {len(alerts)} product{'s' if len(alerts) != 1 else ''}",
                body="Still at or below their reorder level:\n\n" + "\n".join(lines),
            )
    return len(alerts)
