"""What shoppers do with their carts, for other apps to count (core/events.py)."""

from dataclasses import dataclass
from typing import Any

from auroramart.core.events import DomainEvent


@dataclass(frozen=True)
class CartItemAdded(DomainEvent):
    """Inside the add, once the cart holds the item: analytics and recommendation tracking
    each insert one row. `source` is "rec:<slot>" when it was added from a recommendation slot."""

    product: Any
    variant: Any
    quantity: int
    user_id: int | None
    visitor: str
    source: str = ""
