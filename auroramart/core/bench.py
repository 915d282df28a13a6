"""The benchmark's baselines (`make bench`, BENCH_BASELINE_VIEW only): a bare Django view with no
middleware at all, served beside the shop, and (urls.py) an empty view behind the whole
middleware stack. Ratios to the bare view are what compare across runs on a noisy machine."""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

BARE_PATH = "/__bench__/bare"


class _WithoutMiddleware(WSGIHandler):
    """Django's own handler (URL resolving, the view, the response) with an empty middleware list."""

    def load_middleware(self, is_async=False):
        configured = settings.MIDDLEWARE
        settings.MIDDLEWARE = []
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = configured


def with_bare_view(application):
    bare = _WithoutMiddleware()

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO") == BARE_PATH:
            return bare(environ, start_response)
        return application(environ, start_response)

    return dispatch
