from math import ceil

MAX_PAGE_SIZE = 100


def page_of(queryset, page: int, page_size: int, serialize) -> dict:
    """One page (1-based) of a queryset: two queries, a count and the rows."""
    total = queryset.count()
    start = (page - 1) * page_size
    rows = list(queryset[start : start + page_size]) if start < total else []
    return {
        "items": [serialize(row) for row in rows],
        "page": page,
        "page_size": page_size,
        "total": total,
        "pages": max(1, ceil(total / page_size)),
    }
