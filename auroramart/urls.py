from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

from auroramart.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("auroramart.catalog.urls")),
    path("", include("auroramart.search.urls")),
    path("", include("auroramart.pages.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler404 = "auroramart.pages.views.error_404"
handler500 = "auroramart.pages.views.error_500"
