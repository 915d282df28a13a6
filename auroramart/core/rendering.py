"""Rendering a part of a page (a fragment another app adds to it)."""

from django.template.loader import render_to_string

from .held import csrf_token


def render_part(request, template_name: str, context: dict) -> str:
    """A fragment rendered without the context processors: they run once, for the page the
    fragment goes into, and on the cart page running them again for each fragment cost more
    than rendering it (#23). The fragment gets the request and its CSRF token; anything else it
    needs comes in `context`."""
    return render_to_string(template_name, {**context, "request": request, "csrf_token": csrf_token(request)})
