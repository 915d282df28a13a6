from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page
from django.views.static import serve

from auroramart.core.health import healthz, readyz
from auroramart.pages.views import robots_txt
from auroramart.storefront.sitemaps import SITEMAPS

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("img/favicon.svg"))),
    path("robots.txt", robots_txt, name="robots_txt"),
    # An index of sections, each paginated (?p=2): catalogues of any size (storefront/sitemaps.py).
    path(
        "sitemap.xml",
        cache_page(3600)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(3600)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    # The pages most asked for first: Django tries the patterns in order, and a request for the
    # home page used to walk every other app's patterns first (#23, a tenth of a cached page's CPU);
    # the cart and checkout before the account pages (22 patterns) for the same reason.
    # tests/test_url_order.py checks that no address reaches another pattern than its own.
    path("", include("auroramart.storefront.urls.catalog")),
    path("", include("auroramart.pages.urls")),
    path("", include("auroramart.storefront.urls.search")),
    path("", include("auroramart.cart.urls")),
    path("", include("auroramart.orders.urls")),
    path("admin-panel/", include("auroramart.admin_panel.urls")),
    path("", include("auroramart.api.urls")),
    path("", include("auroramart.storefront.urls.account")),
    path("", include("auroramart.accounts.urls")),
    path("", include("auroramart.payments.urls")),
    path("", include("auroramart.loyalty.urls")),
    path("", include("auroramart.recommendations.urls")),
    path("", include("auroramart.campaigns.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

if settings.BENCH_BASELINE_VIEW:
    # The benchmark's baselines: the bare view (served without middleware, core/bench.py) and an
    # empty view behind the full middleware stack. First in the list, as a bare Django project's
    # one URL would be: at the end, resolving them tried every pattern of the shop (83 µs of CPU
    # against 12, about an eighth of the bare view), which flattered every ratio (#23).
    urlpatterns = [
        path("__bench__/bare", lambda request: HttpResponse("ok")),
        path("__bench__/empty", lambda request: HttpResponse("ok")),
        *urlpatterns,
    ]

handler404 = "auroramart.pages.views.error_404"
handler500 = "auroramart.pages.views.error_500"
