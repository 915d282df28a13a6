"""Every change to stock goes through here: the variant is the unit of stock. Rows are
locked in primary-key order, re-checked, updated in place in one statement
(core.rows.add_to), and written to the ledger; the product's stock (the sum of its active
variants') follows."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from auroramart.catalog.models import Category, Product, ProductVariant
from auroramart.catalog.selectors import forget_live_product
from auroramart.core import rows
from auroramart.core.client import Actor
from auroramart.core.rows import add_to
from auroramart.staff.services import actor_user, record_audit

from .models import LowStockAlert, StockMovement


class OutOfStock(Exception):
    def __init__(self, shortages: list[tuple[ProductVariant, int, int]]):
        self.shortages = shortages  # (variant, requested, available)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        for variant, requested, available in self.shortages:
            name = variant.display_name
            if available <= 0:
                parts.append(f"{name} is out of stock")
            else:
                parts.append(f"only {available} of {name} left (you asked for {requested})")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."


@dataclass(frozen=True)
class Change:
    variant_id: int
    quantity: int  # signed


def lock_variants(ids: Iterable[int]) -> dict[int, ProductVariant]:
    """Lock the variants' rows, then their products' (whose stock rolls up from them), each
    in primary-key order, so two buyers never deadlock. Each variant comes with its product,
    read under its lock, and the product's category (its tax class, at placement). Three
    constant statements (#23: the ORM's locking query with its joins cost about 1 ms to build)."""
    variants = rows.locked_by_pk(ProductVariant, ids)
    products = {p.pk: p for p in rows.locked_by_pk(Product, {v.product_id for v in variants})}
    categories = {c.pk: c for c in rows.by_pk(Category, {p.category_id for p in products.values()})}
    for product in products.values():
        product.category = categories[product.category_id]
    for variant in variants:
        variant.product = products[variant.product_id]
    return {v.pk: v for v in variants}


def apply_changes(
    locked: dict[int, ProductVariant],
    changes: list[Change],
    *,
    kind: str,
    order=None,
    actor=None,
    reason: str = "",
    count_as_sold: bool = False,
) -> list[StockMovement]:
    """Apply signed stock changes to already-locked variants and write the ledger; the
    products' stock (the sum of their active variants') and units sold follow.

    Costs a fixed number of queries whatever the number of variants. Raises OutOfStock,
    changing nothing, when any variant would go below zero.
    """
    totals: dict[int, int] = {}
    for change in changes:
        if change.quantity:
            totals[change.variant_id] = totals.get(change.variant_id, 0) + change.quantity
    if not totals:
        return []
    shortages = [
        (locked[pk], -delta, locked[pk].stock_quantity)
        for pk, delta in totals.items()
        if locked[pk].stock_quantity + delta < 0
    ]
    if shortages:
        raise OutOfStock(shortages)
    add_to(ProductVariant, {"stock_quantity": totals})
    stock_by_product: dict[int, int] = {}
    sold_by_product: dict[int, int] = {}
    for pk, delta in totals.items():
        variant = locked[pk]
        if variant.is_active:
            stock_by_product[variant.product_id] = stock_by_product.get(variant.product_id, 0) + delta
        sold_by_product[variant.product_id] = sold_by_product.get(variant.product_id, 0) - delta
    updates = {"stock_quantity": stock_by_product}
    if count_as_sold:
        updates["sold_count"] = sold_by_product
    add_to(Product, updates)
    movements = []
    for pk, delta in totals.items():
        variant = locked[pk]
        variant.stock_quantity += delta
        movements.append(
            StockMovement(
                product_id=variant.product_id,
                variant=variant,
                kind=kind,
                quantity=delta,
                balance_after=variant.stock_quantity,
                order=order,
                actor=actor,
                reason=reason[:255],
            )
        )
    StockMovement.objects.bulk_create(movements)
    _track_low_stock(locked, totals)
    product_ids = list(sold_by_product)
    transaction.on_commit(lambda: forget_live_product(*product_ids))
    return movements


def _track_low_stock(locked: dict[int, ProductVariant], totals: dict[int, int]) -> None:
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
        variant = locked[pk]
        before, after = variant.stock_quantity - delta, variant.stock_quantity
        if after <= variant.reorder_level < before:
            fell.append(variant)
        elif before <= variant.reorder_level < after:
            recovered.append(pk)
    if recovered:
        LowStockAlert.objects.filter(variant_id__in=recovered, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    if fell:
        LowStockAlert.objects.bulk_create(
            [
                LowStockAlert(product_id=v.product_id, variant=v, stock_at_alert=v.stock_quantity)
                for v in fell
            ],
            ignore_conflicts=True,
        )
        from .tasks import email_low_stock_alert

        ids = [v.pk for v in fell]
        transaction.on_commit(lambda: email_low_stock_alert.delay(ids))


@transaction.atomic
def receive_opening_stock(*, product, opening_stock: int, actor: Actor | None = None) -> None:
    """On ProductCreated: a new product's opening stock, as a receipt for its default variant."""
    if opening_stock:
        variant = product.variants.order_by("position", "pk").first()
        adjust_stock(
            variant=variant, quantity=opening_stock, actor=actor, reason="Opening stock", kind="receipt"
        )


@transaction.atomic
def adjust_stock(
    *,
    variant: ProductVariant,
    quantity: int,
    actor: Actor | None = None,
    reason: str,
    kind: str = StockMovement.Kind.ADJUSTMENT,
):
    """A manual change by staff (or a receipt of goods) to one variant's stock, with its reason
    in the ledger and, for a staff member, the audit log (on the product, naming the variant)."""
    if not reason.strip():
        raise ValueError("A stock adjustment needs a reason.")
    locked = lock_variants([variant.pk])
    before = locked[variant.pk].stock_quantity
    movements = apply_changes(
        locked, [Change(variant.pk, quantity)], kind=kind, actor=actor_user(actor), reason=reason
    )
    variant.stock_quantity = locked[variant.pk].stock_quantity
    record_audit(
        actor,
        "adjust_stock",
        locked[variant.pk].product,
        changes={"variant": [None, variant.sku], "stock_quantity": [before, variant.stock_quantity]},
    )
    return movements[0] if movements else None


def set_stock_levels(levels: dict[int, int], *, kind: str, actor=None, reason: str = "") -> int:
    """Bring variants (by id) to absolute stock levels (imports, stock takes, the variant grid)
    through the ledger. Must run inside the caller's transaction. Returns the number changed."""
    locked = lock_variants(levels)
    changes = [
        Change(pk, levels[pk] - v.stock_quantity)
        for pk, v in locked.items()
        if levels[pk] != v.stock_quantity
    ]
    apply_changes(locked, changes, kind=kind, actor=actor, reason=reason)
    return len(changes)


@transaction.atomic
def edit_variants(
    *, product: Product, rows: dict[int, dict], actor: Actor | None, reason: str = "Variant grid"
) -> int:
    """The product editor's variant grid (or a bulk change of ticked rows): each variant's
    catalogue fields through catalog.variant_services, its stock to the new level through the
    ledger, in one transaction and one audit row. Returns the number of variants changed."""
    from auroramart.catalog.variant_services import VariantError, clean_grid_value, update_variants

    own = set(product.variants.values_list("pk", flat=True))
    levels: dict[int, int] = {}
    catalog_rows: dict[int, dict] = {}
    for pk, fields in rows.items():
        if int(pk) not in own:
            raise VariantError(f"{product.name} has no variant {pk}.")
        fields = dict(fields)
        if "stock_quantity" in fields:
            levels[int(pk)] = clean_grid_value("stock_quantity", fields.pop("stock_quantity"))
        catalog_rows[int(pk)] = fields
    # Every variant of the product, in pk order, before anything else (as placement does).
    locked = lock_variants(own)
    moved = {pk for pk, level in levels.items() if locked[pk].stock_quantity != level}
    stock_changes = {
        f"{locked[pk].sku} stock": [locked[pk].stock_quantity, level]
        for pk, level in levels.items()
        if locked[pk].stock_quantity != level
    }
    if stock_changes and not reason.strip():
        raise VariantError("A stock change needs a reason.")
    apply_changes(
        locked,
        [Change(pk, level - locked[pk].stock_quantity) for pk, level in levels.items()],
        kind=StockMovement.Kind.ADJUSTMENT,
        actor=actor_user(actor),
        reason=reason,
    )
    changed = update_variants(product=product, rows=catalog_rows, actor=actor, audit_extra=stock_changes)
    return len(changed | moved)


def record_opening_stock(
    variants: list[ProductVariant], *, kind: str = StockMovement.Kind.RECEIPT, reason: str = "Opening stock"
) -> None:
    """Ledger rows for the stock that bulk-created variants start with (imports, sample data)."""
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                product_id=v.product_id,
                variant_id=v.pk,
                kind=kind,
                quantity=v.stock_quantity,
                balance_after=v.stock_quantity,
                reason=reason,
            )
            for v in variants
            if v.stock_quantity
        ],
        batch_size=5000,
    )


def send_low_stock_digest() -> int:
    """The daily digest for staff: every product still at or below its reorder level."""
    from auroramart.core.outbox import queue_email

    alerts = list(
        LowStockAlert.objects.filter(
            resolved_at__isnull=True, product__is_active=True, variant__is_active=True
        )
        .select_related("product", "variant")
        .order_by("variant__stock_quantity", "product__name", "variant__position")
    )
    if not alerts:
        return 0
    lines = [
        f"- {a.variant.display_name} ({a.variant.sku}): {a.variant.stock_quantity} left, reorder level "
        f"{a.variant.reorder_level}, suggest ordering {a.product.reorder_quantity} (low since {a.created_at:%d %b})"
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
