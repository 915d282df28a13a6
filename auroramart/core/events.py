"""Typed domain events: how one app reacts to what another did, without either importing the other.

The rules (docs/architecture.md, "Events"):

- An event is a frozen dataclass that subclasses `DomainEvent`. It is declared in the
  `events.py` of the app whose services raise it, and only those services call `publish()`:
  views, the API and commands call the service, so the web and the API can never diverge.
- Each event class states when its subscribers run (`phase`):
  `INSIDE` — at once, inside the publisher's transaction, in the order they were subscribed;
  an exception rolls the whole write back (points spent when an order is placed must be
  spent with it or not at all).
  `AFTER_COMMIT` — once the publisher's transaction commits (at once when there is none);
  each subscriber runs on its own and a failure is logged, never undoing the write
  (tracking and counting).
- Who subscribes to what is written in one place, `auroramart/wiring.py`, loaded once at
  start-up (setting `EVENT_WIRING`); the order there is the order subscribers run in.

Queries one app answers for another (does this customer own this product? what discount
did they choose?) are `ExtensionPoint`s: named, typed, declared by the app that asks,
provided in the same wiring module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from enum import Enum
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

from django.db import transaction

log = logging.getLogger(__name__)


class Phase(Enum):
    INSIDE = "inside the publisher's transaction"
    AFTER_COMMIT = "after the publisher's transaction commits"


@dataclass(frozen=True)
class DomainEvent:
    phase: ClassVar[Phase] = Phase.INSIDE


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], None]

_subscribers: dict[type[DomainEvent], list[Handler]] = {}
_recorders: list[list[DomainEvent]] = []
_keyword_handlers: dict[Callable[..., Any], Handler] = {}


def subscribe(event_type: type[E], *handlers: Callable[[E], None]) -> None:
    """Add handlers for an event type, in order; subscribing the same handler twice is a no-op."""
    registered = _subscribers.setdefault(event_type, [])
    for handler in handlers:
        if handler not in registered:
            registered.append(handler)


def keywords(function: Callable[..., Any]) -> Handler:
    """A subscriber that calls `function` with the event's fields as keyword arguments, so a
    domain function keeps its plain signature (loyalty.earn_for_order(order=...))."""

    if function in _keyword_handlers:  # connecting twice subscribes once
        return _keyword_handlers[function]

    def handler(event: DomainEvent) -> None:
        function(**{f.name: getattr(event, f.name) for f in fields(event)})

    handler.__qualname__ = handler.__name__ = getattr(function, "__qualname__", repr(function))
    handler.__module__ = function.__module__
    handler.__wrapped__ = function  # type: ignore[attr-defined]
    _keyword_handlers[function] = handler
    return handler


def subscribers(event_type: type[DomainEvent]) -> list[Handler]:
    return list(_subscribers.get(event_type, ()))


def publish(event: DomainEvent) -> None:
    for recorder in _recorders:
        recorder.append(event)
    handlers = _subscribers.get(type(event), ())
    if event.phase is Phase.INSIDE:
        for handler in handlers:
            handler(event)
        return
    for handler in handlers:
        transaction.on_commit(partial(_run_after_commit, handler, event))


def _run_after_commit(handler: Handler, event: DomainEvent) -> None:
    try:
        handler(event)
    except Exception:  # a counter that failed must not turn a done write into an error page
        log.exception("subscriber %s failed for %s", getattr(handler, "__qualname__", handler), event)


@contextmanager
def recorded() -> Iterator[list[DomainEvent]]:
    """Every event published inside the block, in order (tests compare the web with the API)."""
    events: list[DomainEvent] = []
    _recorders.append(events)
    try:
        yield events
    finally:
        _recorders.remove(events)


P = TypeVar("P", bound=Callable[..., Any])


class ExtensionPoint(Generic[P]):
    """A named place where other apps provide answers to a question this app asks.

    The asking app declares it (with the call signature in `doc`) and iterates over it;
    providers are added in auroramart/wiring.py, in the order they are consulted.
    """

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc
        self._providers: list[P] = []

    def provide(self, *providers: P) -> None:
        for provider in providers:
            if provider not in self._providers:
                self._providers.append(provider)

    def __iter__(self) -> Iterator[P]:
        return iter(tuple(self._providers))

    def __repr__(self) -> str:
        return f"<ExtensionPoint {self.name}: {len(self._providers)} provider(s)>"
