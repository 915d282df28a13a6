"""What htmx tells the server about a request, read from the WSGI environ: Django's
`request.headers` builds a dict of every header on its first use (about 12 µs of a product
page, #23), for the one or two a view asks htmx about. One home for those questions."""


def is_htmx(request) -> bool:
    """Whether htmx sent the request: it swaps the answer into the page."""
    return bool(request.META.get("HTTP_HX_REQUEST"))


def htmx_target(request) -> str:
    """The id of the element htmx will swap the answer into, when it said."""
    return request.META.get("HTTP_HX_TARGET", "")
