"""Giving an order's units back to stock, through the ledger."""

from auroramart.inventory.services import Change, apply_changes, lock_products

from .models import Order


def return_to_stock(order: Order, kind: str, actor, reason: str) -> None:
    items = list(order.items.all())
    locked = lock_products(i.product_id for i in items if i.product_id)
    apply_changes(
        locked,
        [Change(i.product_id, i.quantity) for i in items if i.product_id],
        kind=kind,
        order=order,
        actor=actor,
        reason=reason,
        count_as_sold=True,
    )
