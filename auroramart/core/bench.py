"""The benchmark's baselines (`make bench`, BENCH_BASELINE_VIEW only): a bare Django view with no
middleware at all, served beside the shop, and (urls.py) an empty view behind the whole
middleware stack. Ratios to the bare view are what compare across runs on a noisy machine.

And what each middleware costs on its own (bench/middleware_costs.py): the stack with a probe
between every two middlewares."""

import time

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

BARE_PATH = "/__bench__/bare"


def handler_with(middleware: list[str]) -> WSGIHandler:
    """Django's own handler (URL resolving, the view, the response) with this middleware list
    instead of the shop's: the list is read once, as the handler is made."""
    configured = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return WSGIHandler()
    finally:
        settings.MIDDLEWARE = configured


def with_bare_view(application):
    bare = handler_with([])

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO") == BARE_PATH:
            return bare(environ, start_response)
        return application(environ, start_response)

    return dispatch


class MiddlewareProbe:
    """Between two middlewares (`probed`): notes when the request passed going in and the
    response coming out. The outermost probe, last to finish, hands the request's notes to
    `MiddlewareProbe.finished`."""

    finished: list[list[list[int]]] = []

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        marks = request.__dict__.setdefault("_probe_marks", [])
        mark = [time.perf_counter_ns(), 0]
        marks.append(mark)
        response = self.get_response(request)
        mark[1] = time.perf_counter_ns()
        if mark is marks[0]:
            MiddlewareProbe.finished.append(marks)
        return response


PROBE = f"{__name__}.{MiddlewareProbe.__name__}"


def probed(middleware: list[str]) -> list[str]:
    """The middleware list with a probe before the first, after the last and between every two."""
    return [PROBE, *(name for each in middleware for name in (each, PROBE))]


def own_times(marks: list[list[int]], middleware: list[str]) -> dict[str, int]:
    """Each middleware's own time in one request, in nanoseconds: from the probe before it to the
    one after going in, plus the way back out (each includes one probe's own cost)."""
    if len(marks) != len(middleware) + 1:
        raise ValueError("the request did not pass every probe (a middleware answered it itself)")
    return {
        name: (marks[i + 1][0] - marks[i][0]) + (marks[i][1] - marks[i + 1][1])
        for i, name in enumerate(middleware)
    }
