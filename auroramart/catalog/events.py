"""What happens in the catalogue, for other apps to react to (core/events.py)."""

from dataclasses import dataclass
from typing import Any

from auroramart.core.events import DomainEvent


@dataclass(frozen=True)
class ReviewApproved(DomainEvent):
    """Inside the transaction that publishes a review (the loyalty bonus is granted with it)."""

    review: Any
