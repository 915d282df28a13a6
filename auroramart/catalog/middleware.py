"""Anonymous catalogue pages answered before the view (#23)."""

from django.http import HttpResponse

from .cache import answer_before_the_view, sessionless_get


class AnonymousPageMiddleware:
    """Answers a sessionless visitor's GET with the whole page its view last served them, when
    the view said nothing else happens per request for it but its live parts (the home page and
    the product lists; a product page, its price and stock made here; catalog/cache.py,
    `anonymous_page`) and the catalogue has not changed since. Such a visitor
    can only be anonymous, so what comes after this middleware (resolving the user, the
    messages, the staff session check, finding the view) has nothing to add: it was most of
    what those pages cost (#23). It sits after the CSRF middleware, which sets the visitor's
    token cookie, and answers exactly as the view would: the page with this visitor's token,
    varying with the cookies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if sessionless_get(request):
            page = answer_before_the_view(request)
            if page is not None:
                response = HttpResponse(page)
                # A new response: what patch_vary_headers would make of it, without parsing.
                response.headers["Vary"] = "Cookie"
                return response
        return self.get_response(request)
