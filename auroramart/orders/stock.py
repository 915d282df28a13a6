"""Giving an order's units back to stock, through the ledger: each line to its variant."""

from auroramart.inventory.services import Change, apply_changes, lock_variants

from .models import Order


def return_to_stock(order: Order, kind: str, actor, reason: str) -> None:
    restock(
        order, [(i.variant_id, i.quantity) for i in order.items.all() if i.variant_id], kind, actor, reason
    )


def restock(order: Order, units: list[tuple[int, int]], kind: str, actor, reason: str) -> None:
    """`units` is [(variant id, quantity)]; variants deleted since are skipped."""
    units = [(vid, qty) for vid, qty in units if qty > 0]
    if not units:
        return
    locked = lock_variants(vid for vid, _ in units)
    apply_changes(
        locked,
        [Change(vid, qty) for vid, qty in units if vid in locked],
        kind=kind,
        order=order,
        actor=actor,
        reason=reason,
        count_as_sold=True,
    )
