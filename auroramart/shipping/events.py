"""What the shipping app tells others (core/events.py): its configuration changed, inside the
transaction that changed it; pages that describe delivery (cached with the catalog) follow."""

from dataclasses import dataclass

from auroramart.core.events import DomainEvent


@dataclass(frozen=True)
class ShippingChanged(DomainEvent):
    """A zone, method, rate band or tax rate was saved or deleted."""
