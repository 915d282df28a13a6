import contextlib
import sys

from django.contrib import messages
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from auroramart.catalog.cache import cached_page_part, shared_page
from auroramart.catalog.selectors import category_tiles, home_sections
from auroramart.core.db_routing import reads_from_replica
from auroramart.core.structured_data import organization

from .forms import ContactForm
from .services import submit_contact_message

STATIC_PAGES = {
    "about": "About AuroraMart",
    "faq": "Frequently asked questions",
    "shipping-returns": "Shipping and returns",
    "privacy": "Privacy policy",
    "terms": "Terms of service",
}


@reads_from_replica
def home(request):
    def build():
        context = {"sections": home_sections(), "category_tiles": category_tiles()}
        # The hero and the category tiles come first, before anything personal (#24); the
        # shopper's own slots go between them and the product sections.
        top, _, sections = render_to_string("pages/_home_body.html", context, request=request).partition(
            "<!-- sections -->"
        )
        return {"top": top, "body": sections}

    def page(extra_context):
        part = cached_page_part(request, "home", build)
        return render(
            request,
            "pages/home.html",
            {
                "top": mark_safe(part["top"]),  # noqa: S308 -- our own rendered template
                "body": mark_safe(part["body"]),  # noqa: S308
                "organization": organization(request),
                **extra_context,
            },
        )

    return shared_page(request, "home-page", page, before_the_view=True) or page({})


# Shoppers' own pages, the panel, the API and the money path are no use in a search index.
ROBOTS_DISALLOW = [
    "/admin-panel/",
    "/api/",
    "/checkout/payment/",  # the signed return from 3-D Secure; the cart and checkout pages stay crawlable
    "/orders/",
    "/profile/",
    "/login/",
    "/register/",
    "/search/",
    "/cart/",
    "/payments/",
    "/unsubscribe/",
]


def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def static_page(request, page):
    return render(request, f"pages/{page}.html", {"title": STATIC_PAGES[page]})


@require_http_methods(["GET", "POST"])
def contact(request):
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        submit_contact_message(**form.cleaned_data)
        messages.success(request, "Thank you — we have your message and will reply by email.")
        return redirect("pages:contact")
    return render(request, "pages/contact.html", {"form": form, "title": "Contact us"})


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    """A lost database connection is a 503 (try again soon), anything else a 500.
    Both render without the context processors' database work."""
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        # Drop the broken connection so the next request opens a new one.
        with contextlib.suppress(Exception):
            connection.close()
        html = loader.get_template("503.html").render({"request_id": getattr(request, "id", "")})
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render({}))
