"""Pages of the API's lists: by page number (the catalogue keeps them) or by cursor.

A cursor names the row a page ends (or starts) at by the values of the list's ordering
(keyset pagination), so it is stable under inserts: a new order or product never shifts
the next page. Every page carries `next_cursor`/`previous_cursor` and the `next`/`previous`
links that use them, whichever way it was asked for.
"""

import base64
import json
from math import ceil

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from ninja import Query

from .errors import bad_request

MAX_PAGE_SIZE = 100
CURSOR_MAX_LENGTH = 600


def cursor_query():
    return Query(
        None, max_length=CURSOR_MAX_LENGTH, description="A page's `next_cursor` or `previous_cursor`."
    )


def _ordering(queryset) -> list[tuple[str, bool]]:
    """(field, descending) for each term of the queryset's ordering, ending on the primary key."""
    terms = []
    for term in queryset.query.order_by:
        if not isinstance(term, str):
            raise TypeError("cursor pagination needs an ordering by field names")
        name, descending = term.lstrip("-"), term.startswith("-")
        terms.append(("pk" if name in ("id", "pk") else name, descending))
    if not any(name == "pk" for name, _ in terms):
        terms.append(("pk", False))
    return terms


def _encode(values: list, direction: str) -> str:
    raw = json.dumps({"v": values, "d": direction}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, width: int) -> tuple[list, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, direction = data["v"], data["d"]
        if not isinstance(values, list) or len(values) != width or direction not in ("next", "prev"):
            raise ValueError
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise bad_request(
            "This cursor is not valid: use one a page gave you.", {"cursor": ["Not valid."]}
        ) from None
    return values, direction


def _beyond(terms: list[tuple[str, bool]], values: list, backwards: bool) -> Q:
    """Rows after (or, backwards, before) the row with these values, in the list's order."""
    condition = Q()
    for i, (name, descending) in enumerate(terms):
        ahead = descending != backwards
        step = Q(**{f"{name}__{'lt' if ahead else 'gt'}": values[i]})
        for earlier, value in zip(terms[:i], values[:i], strict=False):
            step &= Q(**{earlier[0]: value})
        condition |= step
    return condition


def _values(row, terms) -> list:
    out = []
    for name, _ in terms:
        value = row.pk if name == "pk" else getattr(row, name)
        out.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return out


def page_of(
    queryset, page: int, page_size: int, serialize, *, cursor: str | None = None, request=None
) -> dict:
    """One page of a queryset: by `page` (1-based: a count and the rows), or after/before a
    `cursor` (a count and one row more than the page, to know whether there is a next)."""
    total = queryset.count()
    terms = _ordering(queryset)
    if cursor:
        values, direction = _decode(cursor, len(terms))
        values = [parse_datetime(v) or v if isinstance(v, str) else v for v in values]
        backwards = direction == "prev"
        rows_query = queryset.filter(_beyond(terms, values, backwards))
        if backwards:
            rows_query = rows_query.order_by(*[("" if d else "-") + n for n, d in terms])
        try:
            rows = list(rows_query[: page_size + 1])
        except (ValidationError, ValueError, TypeError):
            raise bad_request(
                "This cursor is not valid: use one a page gave you.", {"cursor": ["Not valid."]}
            ) from None
        more = len(rows) > page_size
        rows = rows[:page_size]
        if backwards:
            rows.reverse()
        has_next, has_previous = (True, more) if backwards else (more, True)
    else:
        start = (page - 1) * page_size
        rows = list(queryset[start : start + page_size]) if start < total else []
        has_next, has_previous = start + page_size < total, page > 1
    next_cursor = _encode(_values(rows[-1], terms), "next") if rows and has_next else None
    previous_cursor = _encode(_values(rows[0], terms), "prev") if rows and has_previous else None
    return {
        "items": [serialize(row) for row in rows],
        "page": page,
        "page_size": page_size,
        "total": total,
        "pages": max(1, ceil(total / page_size)),
        "next_cursor": next_cursor,
        "previous_cursor": previous_cursor,
        "next": _link(request, next_cursor),
        "previous": _link(request, previous_cursor),
    }


def _link(request, cursor: str | None) -> str | None:
    if request is None or cursor is None:
        return None
    query = request.GET.copy()
    query.pop("page", None)
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
