"""What a process holds in its memory: recent reads and renders, and parts of pages held for
what they show (#23)."""

import contextlib
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.safestring import SafeString, mark_safe

from . import key_mirror, shared_reads
from .request_context import request_memo

T = TypeVar("T")
# Rendered in place of the CSRF token in anything shared between shoppers, and replaced with
# each one's own when it is served.
CSRF_PLACEHOLDER = "__AURORAMART_CSRF__"


class Held(Generic[T]):
    """What this process read or rendered last, held in its memory as well as in the shared
    cache or the database (#23: fetching an 80 KB page from Redis and unpickling it was about
    half of a cached page's CPU). A key names everything its value depends on, so nothing held
    is ever stale: catalogue reads and pages hold the catalog version, which every request
    still reads from the shared cache (any catalog write, on any node, changes the key); a part
    held for what it shows (`render_held`) holds all of that. Entries also expire after
    `seconds` (what a product card's stock badge may lag behind beyond the page cache's
    lifetime), and at most `size` are held (an LRU). What is held is shared by the process's
    threads: it is read, never changed."""

    def __init__(self, size: int, seconds: float):
        self.size, self.seconds = size, seconds
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()
        _every_hold.append(self)

    def get(self, key: str) -> T | None:
        with self._lock:
            held = self._entries.get(key)
            if held is None:
                return None
            if held[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return held[1]

    def put(self, key: str, value: T) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_every_hold: list["Held | HeldSetting"] = []


def forget_held() -> None:
    """Forget everything every hold of this process has (the tests call it with each cache flush)."""
    for hold in _every_hold:
        hold.clear()


class HeldSetting(Generic[T]):
    """A small value every shopper's request reads and staff rarely change (the shipping zones,
    the tax set-up, the rewards on offer), held decoded in each process as well as in the shared
    cache (#23: unpickling the rewards on every cart request cost more than pricing the cart).

    One generation number in the shared cache, common to every held setting, says whether a
    process's copy is current: it is read once per request, and `forget()` (called by the
    app when the value's rows are saved or deleted, at once and again when the transaction
    commits) first drops the shared value, then moves the generation on, on every node at once.
    A copy is only ever used under the generation it was read in, so none outlives a change."""

    def __init__(self, key: str, load: Callable[[], T]):
        self.key, self.load = key, load
        self._held: tuple[int, T] | None = None
        _every_hold.append(self)

    def get(self) -> T:
        generation = _generation()
        if generation is None:  # the shared cache is down: nothing can say a copy is current
            return self.load()
        held = self._held
        if held is not None and held[0] == generation:
            return held[1]
        value = cache.get(self.key)
        if value is None:
            value = self.load()
            cache.set(self.key, value, timeout=None)
        self._held = (generation, value)
        return value

    def forget(self) -> None:
        """Drop the value everywhere, now and again once the transaction commits (a request
        in between may have read and shared what was being changed)."""
        self._drop()
        transaction.on_commit(self._drop)

    def _drop(self) -> None:
        self._held = None
        cache.delete(self.key)  # first: a copy read under the new generation is the new value
        with contextlib.suppress(ValueError):  # flushed meanwhile: the next read starts a fresh one
            cache.incr(GENERATION_KEY)
        shared_reads.forget(GENERATION_KEY)
        memo = request_memo.get()
        if memo is not None:  # this request sees its own change
            memo.pop(GENERATION_KEY, None)

    def clear(self) -> None:
        self._held = None


GENERATION_KEY = "held-settings:generation"
shared_reads.share(lambda: GENERATION_KEY)
key_mirror.mirror(GENERATION_KEY)


def forget_when_changed(forget: Callable[[], None], *models, name: str) -> None:
    """Call `forget` whenever a row of `models` is saved or deleted, however it was written (an
    app's `ready()`, for cache invalidation only; `name` tells the connections apart)."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kwargs: forget(), sender=model, weak=False, dispatch_uid=f"{name}-{model.__name__}"
            )


def _generation() -> int | None:
    memo = request_memo.get()
    if memo is not None and GENERATION_KEY in memo:
        return memo[GENERATION_KEY]
    generation = shared_reads.get(GENERATION_KEY)
    if generation is None:  # a random start after a flush, so no copy held before can match it
        cache.add(GENERATION_KEY, secrets.randbits(48), None)
        generation = cache.get(GENERATION_KEY)
    if memo is not None:
        memo[GENERATION_KEY] = generation
    return generation


def csrf_token(request) -> str:
    """The request's CSRF token, masked once per request: what Django's `get_token` gives, made
    faster (#23). Django draws every character of a secret and of a mask with its own call to
    `secrets.choice` (about 50 µs each); a new visitor needs both. Here the same 62 characters
    are drawn uniformly from one read of the system's random bytes. A new secret is stored
    exactly as Django's middleware expects it (it sets the cookie); any masking of the secret
    is valid, and a new secret (a sign-in rotates it) gets a new one."""
    secret = request.META.get("CSRF_COOKIE")
    held = getattr(request, "_masked_csrf_token", None)
    if held is not None and held[0] == secret:
        return held[1]
    if secret is None:
        secret = _random_csrf_string()
        request.META["CSRF_COOKIE"] = secret
    # As get_token: the cookie is (re)sent with the response, renewing its expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_csrf_string()
    token = mask + "".join(
        CSRF_ALLOWED_CHARS[(_CSRF_INDEX[s] + _CSRF_INDEX[m]) % _CSRF_RADIX]
        for s, m in zip(secret, mask, strict=True)
    )
    request._masked_csrf_token = (secret, token)
    return token


_CSRF_RADIX = len(CSRF_ALLOWED_CHARS)
_CSRF_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
# Byte b stands for character b mod 62; bytes from 248 (4 × 62) up are dropped, so that every
# character is equally likely.
_CSRF_USABLE = 256 // _CSRF_RADIX * _CSRF_RADIX
_CSRF_BYTES = bytes(
    CSRF_ALLOWED_CHARS[b % _CSRF_RADIX].encode()[0] if b < _CSRF_USABLE else 0 for b in range(256)
)
_CSRF_DROPPED = bytes(range(_CSRF_USABLE, 256))


def _random_csrf_string() -> str:
    drawn = b""
    while len(drawn) < CSRF_SECRET_LENGTH:
        drawn += secrets.token_bytes(CSRF_SECRET_LENGTH + 8).translate(_CSRF_BYTES, _CSRF_DROPPED)
    return drawn[:CSRF_SECRET_LENGTH].decode("ascii")


def with_csrf_token(request, html: str) -> str:
    """Something rendered with CSRF_PLACEHOLDER, with this request's token put in."""
    return html.replace(CSRF_PLACEHOLDER, csrf_token(request)) if CSRF_PLACEHOLDER in html else html


class CutPage:
    """A page rendered once for many requests, with placeholders where each request puts its
    own parts (its CSRF token, the shopper's corner of the header, a live buy box), encoded once
    and cut at them. A request gets it whole in one join of bytes (`filled`), instead of a search
    and a copy of the whole page for each part and the encoding of the whole (#23, eleventh
    round: on a signed-in page of 80 KB, cProfile put those at about a sixth of its time).
    `slots` is the pattern the placeholders match; a placeholder given no part stays as it was."""

    __slots__ = ("distinct", "pieces", "slots")

    def __init__(self, html: str, slots: re.Pattern[str]):
        pieces, found, start = [], [], 0
        for match in slots.finditer(html):
            pieces.append(html[start : match.start()].encode())
            found.append(match.group())
            start = match.end()
        pieces.append(html[start:].encode())
        self.pieces: tuple[bytes, ...] = tuple(pieces)
        self.slots: tuple[str, ...] = tuple(found)
        self.distinct: tuple[str, ...] = tuple(dict.fromkeys(found))  # in the order they come

    def filled(self, parts: Mapping[str, str]) -> bytes:
        encoded = {slot: parts.get(slot, slot).encode() for slot in self.distinct}
        joined = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            joined += (encoded[slot], piece)
        return b"".join(joined)


def filled_with_csrf_token(request, page: CutPage, parts: Mapping[str, str] | None = None) -> bytes:
    """`page` with `parts` and this request's CSRF token put in (asked for only if it has a place)."""
    if CSRF_PLACEHOLDER in page.distinct:
        parts = {**(parts or {}), CSRF_PLACEHOLDER: csrf_token(request)}
    return page.filled(parts or {})


def render_held(request, hold: Held[str], shows, render: Callable[[dict], str]) -> SafeString:
    """A part of a page that is the same for everyone it shows the same to, bar their CSRF
    token: `render(extra_context)` renders it with `extra_context` added (the token as a
    placeholder), once per value of `shows` (plain values: everything the part shows, and
    nothing of the request but what is in `shows`), and it is held in `hold`; each request
    gets it with its own token."""
    key = hashlib.sha1(repr(shows).encode(), usedforsecurity=False).hexdigest()
    html = hold.get(key)
    if html is None:
        html = render({"csrf_token": CSRF_PLACEHOLDER})
        hold.put(key, html)
    # Our own template's output, with a token of letters and digits put in: still safe.
    return mark_safe(with_csrf_token(request, html))  # noqa: S308
