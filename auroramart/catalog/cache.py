"""Caching of rendered catalog pages.

Catalog pages are the same for every shopper, so their expensive part (the
product grid, the product's details and reviews, the home sections, the menu)
is rendered once and kept in the cache under a catalog version. Any write to
the catalog bumps the version, so the next request renders afresh; entries
also expire on their own. What differs per shopper (header, cart, account)
and what must be exact (a product's price and stock on its own page) is
rendered on every request.
"""

import functools
import hashlib
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpResponse

from auroramart.core import key_mirror, shared_reads
from auroramart.core.events import ExtensionPoint
from auroramart.core.held import CSRF_PLACEHOLDER, CutPage, Held, filled_with_csrf_token, with_csrf_token
from auroramart.core.htmx import is_htmx
from auroramart.core.release import current_release
from auroramart.core.request_context import request_memo

PAGE_SECONDS = 600


def version_key() -> str:
    # Per release: pages cached by the previous deploy's templates are never served by this one.
    return f"catalog:version:{current_release()}"


shared_reads.share(version_key)
key_mirror.mirror("catalog:version:")  # every process holds it; Redis says when it moves


def catalog_version() -> int:
    """The catalog's version, read from the cache once per request (a page asks several times)."""
    memo = request_memo.get()
    if memo is not None and "catalog_version" in memo:
        return memo["catalog_version"]
    version = _read_version()
    if memo is not None:
        memo["catalog_version"] = version
    return version


def _read_version() -> int:
    key = version_key()
    version = shared_reads.get(key)
    if version is None:
        # A fresh number after a cache flush, so no stale entry can match it.
        version = int(time.time() * 1000)
        cache.add(key, version, None)
        version = cache.get(key, version)
    return version


def bump_catalog_version() -> None:
    """Invalidate every cached catalog page, now and again once the transaction commits.

    The second bump matters: a request served between the two could cache the
    pre-commit data under the first new version.
    """
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    memo = request_memo.get()
    if memo is not None:
        memo.pop("catalog_version", None)  # this request's later pages see the new version
    key = version_key()
    shared_reads.forget(key)
    try:
        cache.incr(key)
    except ValueError:  # the key was evicted or never set
        cache.set(key, int(time.time() * 1000), None)


def cached_page_part(
    request,
    prefix: str,
    build: Callable[[], dict],
    seconds: int = PAGE_SECONDS,
    hold: Held[dict] | None = None,
) -> dict:
    """The cached result of `build()` for this URL (path and query) at the current catalog
    version, held in this process too (in `hold`, else with the pages' parts)."""
    hold = hold if hold is not None else _held_parts
    digest = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    key = f"page:{prefix}:{catalog_version()}:{digest}"
    data = hold.get(key)
    if data is not None:
        return data
    data = cache.get(key)
    if data is None:
        data = build()
        if data is not None:
            cache.set(key, data, seconds)
    if data is not None:
        hold.put(key, data)
    return data


# --- whole pages for anonymous visitors ---------------------------------------------------


def shares_the_anonymous_page(request) -> bool:
    """A visitor who is not signed in and has no session (so no cart, no messages) sees
    exactly what every such visitor sees, bar the CSRF token."""
    return sessionless_get(request) and not request.user.is_authenticated


def sessionless_get(request) -> bool:
    """A GET from a visitor with no session and no pending message: who can only be anonymous
    (the shop signs people in with the session alone)."""
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _page_key(request, kind: str, prefix: str) -> str:
    digest = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    return f"{kind}:{prefix}:{catalog_version()}:{digest}"


def _rendered_once(request, kind: str, prefix: str, render_page, extra: dict):
    """The page, rendered once per URL and catalog version with the CSRF token as a placeholder
    (and `extra` in its context), cut where each request's own parts go; or the response when
    it is not a 200."""
    key = _page_key(request, kind, prefix)
    page = _held_pages.get(key)
    if page is not None:
        return page
    html = cache.get(key)
    if html is None:
        response = render_page({"csrf_token": CSRF_PLACEHOLDER, **extra})
        if response.status_code != 200:
            return response
        html = response.content.decode()
        cache.set(key, html, PAGE_SECONDS)
    page = CutPage(html, _SLOTS)
    _held_pages.put(key, page)
    return page


_held_pages: Held[CutPage] = Held(size=64, seconds=60)
# The rendered parts pages are built from (a product's details and reviews, a grid): a product
# page reads its part on every request, its live buy box being made from it.
_held_parts: Held[dict] = Held(size=64, seconds=60)


def anonymous_page(request, prefix: str, render_page, live=None, before_the_view: bool = False):
    """The whole rendered page, cached per URL and catalog version for anonymous visitors.

    `render_page(extra_context)` renders the page; `live(request)` gives what must be live on
    every request (the product page's price and stock), by the `live_marker` each goes in place
    of, and raises Http404 when there is no such page any more. The CSRF token is rendered as a
    placeholder and replaced with this visitor's own. A page whose view does nothing on each
    request but what `live(request)` does may be served `before_the_view` from then on
    (`answer_before_the_view`), its live parts made there.
    """
    if not shares_the_anonymous_page(request):
        return None
    page = _rendered_once(request, "fullpage", prefix, render_page, {})
    if not isinstance(page, CutPage):
        return page  # not a 200: not cached
    if before_the_view:
        _held_before_the_view.put(_address(request), (catalog_version(), page, live))
    return _response(request, page, live)


def _response(request, page: CutPage, live) -> HttpResponse:
    """The shared page with this request's own parts: the shopper's, what is live, the token."""
    parts = _personal_parts(request, page)
    if live is not None:
        parts.update(live(request))
    return HttpResponse(filled_with_csrf_token(request, page, parts))


# Pages an anonymous visitor gets whole, by URL with the catalog version they were rendered at
# and what makes their live parts, held for the middleware that answers before the view.
_held_before_the_view: Held[tuple[int, CutPage, Callable | None]] = Held(size=128, seconds=60)


def answer_before_the_view(request) -> bytes | None:
    """The page this sessionless GET asks for, when its view has served it whole at the current
    catalog version and said nothing else happens per request but its live parts
    (catalog/middleware.py): with those parts, made now, and this request's CSRF token. Any
    other address is answered without reading the version; an htmx request, which may ask for
    a fragment, and a page whose live parts are gone (Http404) reach the view."""
    held = _held_before_the_view.get(_address(request))
    if held is None or held[0] != catalog_version() or is_htmx(request):
        return None
    _, page, live = held
    try:
        parts = live(request) if live is not None else None
    except Http404:
        return None
    return filled_with_csrf_token(request, page, parts)


def _address(request) -> str:
    # The path and query as they came: only ever compared with each other.
    return f"{request.path}?{request.META.get('QUERY_STRING', '')}"


# --- the same pages for shoppers, with their own parts filled in ----------------------------

# Set in the context of a page rendered to be shared: {% personal "name" %} then leaves a marker.
PERSONAL_DEFERRED = "personal_deferred"
PERSONAL_MARKER = re.compile(r"<!--personal:([\w/.-]+)-->")
# The only templates a marker may name: a marker that came in with content (a description
# staff pasted) must not include anything else with the shopper's context.
PERSONAL_PARTS = frozenset({"includes/account_nav.html", "includes/messages.html"})
_SEPARATOR = "\x00personal\x00"


def personal_marker(name: str) -> str:
    return f"<!--personal:{name}-->"


def live_marker(name: str) -> str:
    """Where a part that is live on every request goes in a shared page (a buy box, a cart)."""
    return f"<!--live:{name}-->"


# Every place a request puts its own part in a shared page (core/held.py, CutPage). Markers are
# comments only our templates write: content is escaped, so `<!--` in it never reaches a page.
_SLOTS = re.compile(rf"{re.escape(CSRF_PLACEHOLDER)}|<!--(?:personal:[\w/.-]+|live:[\w-]+)-->")


@functools.cache
def _personal_template(names: tuple[str, ...]):
    from django.template import engines

    return engines["django"].from_string(_SEPARATOR.join(f'{{% include "{name}" %}}' for name in names))


# The storefront answers (wiring.py): (request) -> (key, context) for the shopper's own parts,
# as plain values; shoppers with equal keys see the same parts but for their CSRF token, and a
# key of None says the parts are this request's alone (a message to show, shown once). None when
# the parts must be rendered with every context processor.
personal_state: ExtensionPoint[Callable[..., tuple[tuple | None, dict] | None]] = ExtensionPoint(
    "catalog.personal_state",
    "(request) -> (key or None, context) of the shopper's own parts of a page, or None.",
)
_held_personal: Held[str] = Held(size=512, seconds=60)


def _personal_parts(request, page: CutPage) -> dict[str, str]:
    """Each {% personal %} marker of the page, with that part rendered for this shopper: one
    render of the parts together from what the storefront says they show, held for every
    shopper they show the same to when nothing but their name and numbers sets them apart (no
    message to show), or with every context processor where it says nothing (#23). A marker
    naming anything but PERSONAL_PARTS gets nothing: it stays an inert comment."""
    names = tuple(
        match[1]
        for slot in page.distinct
        if (match := PERSONAL_MARKER.fullmatch(slot)) is not None and match[1] in PERSONAL_PARTS
    )
    if not names:
        return {}
    state = next((answer for provider in personal_state if (answer := provider(request)) is not None), None)
    if state is None:
        rendered = _personal_template(names).render(request=request)
    else:
        key, context = state
        held_key = repr((names, key))
        rendered = _held_personal.get(held_key) if key is not None else None
        if rendered is None:
            rendered = _personal_template(names).render({**context, "csrf_token": CSRF_PLACEHOLDER})
            if key is not None:  # no key: this request's alone, never shown to another
                _held_personal.put(held_key, rendered)
        rendered = with_csrf_token(request, rendered)
    parts = rendered.split(_SEPARATOR)
    return {personal_marker(name): part for name, part in zip(names, parts, strict=True)}


def shared_page(request, prefix: str, render_page, live=None, before_the_view: bool = False):
    """A catalogue page from the cache for everyone who asks for it with a GET.

    Anonymous visitors without a session get `anonymous_page`. A signed-in shopper, or a guest
    with a cart, gets the same page rendered once per URL and catalog version with markers
    where their own parts go (their corner of the header, their messages; base.html marks
    them with {% personal %}), filled in per request: the page costs little more than a
    guest's. Nothing else in these pages may depend on who asks; `live(request)` gives what must be
    live (the product page's buy box), by marker. None for other methods: render as usual.
    `before_the_view`: see `anonymous_page`.
    """
    if request.method != "GET":
        return None
    if shares_the_anonymous_page(request):
        return anonymous_page(request, prefix, render_page, live, before_the_view)
    page = _rendered_once(request, "personalpage", prefix, render_page, {PERSONAL_DEFERRED: True})
    if not isinstance(page, CutPage):
        return page
    return _response(request, page, live)


def with_live(html: str, parts: dict[str, str]) -> str:
    """A page rendered for this request alone, with the live parts put in at their markers."""
    for marker, part in parts.items():
        html = html.replace(marker, part, 1)
    return html


BODY_MARKER = live_marker("page-body")


def page_around(
    request, prefix: str, template: str, body: str, context: dict | None = None, status: int = 200
):
    """A page whose body is the shopper's own (their cart, their checkout) inside a page that
    is everyone's: `template` renders `{{ body|safe }}` where the body goes, and that page
    (header, menus, footer) is rendered once per URL and catalog version by `shared_page`,
    with the shopper's own parts, their CSRF token and `body` filled in on each request
    (#23: rendering it was more than a third of the cart page's CPU). Other methods than GET
    render it whole. Nothing in `template` or `context` may depend on who asks."""
    from django.shortcuts import render

    def page(extra):
        return render(request, template, {**(context or {}), "body": BODY_MARKER, **extra}, status=status)

    def live(_request) -> dict[str, str]:
        return {BODY_MARKER: body}

    if status == 200 and (shared := shared_page(request, prefix, page, live=live)) is not None:
        return shared
    response = page({})
    return HttpResponse(with_live(response.content.decode(), live(request)), status=response.status_code)
