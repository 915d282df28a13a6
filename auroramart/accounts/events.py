"""What happens to customer accounts, for other apps to react to (core/events.py)."""

from dataclasses import dataclass
from typing import Any

from auroramart.core.events import DomainEvent


@dataclass(frozen=True)
class CustomerRegistered(DomainEvent):
    """Inside the registration transaction: a failing subscriber means no account."""

    user: Any


@dataclass(frozen=True)
class ProfileUpdated(DomainEvent):
    """Inside the profile update: the customer's demographics may have changed."""

    user: Any


@dataclass(frozen=True)
class CustomerSignedIn(DomainEvent):
    """Inside the sign-in, after the session was rotated. `session` is the browser's session
    (None for an API token), so a guest's session cart can join the customer's cart."""

    user: Any
    session: Any = None


@dataclass(frozen=True)
class CustomerErasing(DomainEvent):
    """Inside the erasure transaction, before the account's personal data goes: every app
    erases or anonymises what it keeps about the customer."""

    user: Any
