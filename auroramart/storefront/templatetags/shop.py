import re
from urllib.parse import urlencode

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from auroramart.catalog.cache import PERSONAL_DEFERRED, PERSONAL_PARTS, personal_marker
from auroramart.core.money import format_money
from auroramart.search.backends import query_terms

register = template.Library()


@register.filter
def money(amount):
    return format_money(amount)


@register.simple_tag(takes_context=True)
def url_with(context, **changes):
    """The current query string with some parameters replaced (None removes one).

    Changing anything but the page sends the shopper back to page 1.
    """
    params = context["request"].GET.copy()
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode() if hasattr(params, "urlencode") else urlencode(params)
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def personal(context, name):
    """A part of the page that is the shopper's own (their corner of the header, their
    messages): included as usual, or, on a page rendered to be shared by every shopper
    (catalog/cache.py, shared_page), a marker their own part replaces on each request."""
    if name not in PERSONAL_PARTS:
        raise template.TemplateSyntaxError(f"{name} is not one of catalog.cache.PERSONAL_PARTS")
    if context.get(PERSONAL_DEFERRED):
        return mark_safe(personal_marker(name))  # noqa: S308 -- a fixed comment
    return mark_safe(context.template.engine.get_template(name).render(context))  # noqa: S308 -- our own template


@register.filter
def stars(rating):
    """Whole stars for a rating, for the text alternative of a star bar."""
    try:
        return int(round(float(rating or 0)))
    except (TypeError, ValueError):
        return 0


@register.filter
def highlight(text, query):
    """Wrap the words of the query found in the text in <mark>, escaping everything else."""
    terms = sorted({t for t in query_terms(query or "") if len(t) >= 2}, key=len, reverse=True)
    escaped = escape(text)
    if not terms:
        return escaped
    pattern = re.compile("(" + "|".join(re.escape(escape(t)) for t in terms) + ")", re.IGNORECASE)
    return mark_safe(pattern.sub(r"<mark>\1</mark>", escaped))  # noqa: S308 -- escaped above


@register.filter
def percent(ratio, places=1):
    """0.1234 -> "12.3%"; empty or missing ratios show as 0%."""
    try:
        return f"{float(ratio or 0) * 100:.{int(places)}f}%"
    except (TypeError, ValueError):
        return ""
