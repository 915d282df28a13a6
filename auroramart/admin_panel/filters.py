"""Reading list filters from the query string: a malformed value is ignored, never a 500."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date


def date_param(params, key: str) -> date | None:
    try:
        return parse_date(params.get(key) or "")
    except ValueError:
        return None


def decimal_param(params, key: str) -> Decimal | None:
    try:
        value = Decimal(params.get(key) or "")
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
