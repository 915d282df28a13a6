"""Giving an order's units back to stock, through the ledger: each line to its variant."""

from auroramart.inventory.services import Change, apply_changes, lock_variants

from .models import Order


def return_to_stock(order: Order, kind: str, actor, reason: str) -> None:
    items = [i for i in order.items.all() if i.variant_id]
    locked = lock_variants(i.variant_id for i in items)
    apply_changes(
        locked,
        [Change(i.variant_id, i.quantity) for i in items if i.variant_id in locked],
        kind=kind,
        order=order,
        actor=actor,
        reason=reason,
        count_as_sold=True,
    )
