"""What happens in the catalogue, for other apps to react to (core/events.py)."""

from dataclasses import dataclass
from typing import Any

from auroramart.core.events import DomainEvent


@dataclass(frozen=True)
class ProductCreated(DomainEvent):
    """Inside the transaction that creates the product: its opening stock enters the stock
    ledger with it (the inventory app), so a product never exists with unrecorded stock."""

    product: Any
    opening_stock: int
    actor: Any = None


@dataclass(frozen=True)
class CategoryRenamed(DomainEvent):
    """Inside the rename: the old name is a label in the category model and in customers'
    stored predictions (the recommendations app relabels them)."""

    category: Any
    old_name: str
    new_name: str


@dataclass(frozen=True)
class CategoryDeleted(DomainEvent):
    """Inside the deletion of an empty category: predictions naming it must go."""

    name: str


@dataclass(frozen=True)
class ReviewApproved(DomainEvent):
    """Inside the transaction that publishes a review (the loyalty bonus is granted with it)."""

    review: Any
