"""What each middleware costs on its own, in one process (#23).

The empty view is served behind the shop's middleware stack with a probe between every two
middlewares (core/bench.py); each middleware's share of a request is the time from the probe
before it to the one after, going in and coming back out. The bare view and the plain stack are
timed too, alternated in rounds, for the stack's cost as a whole. No server and no client: these
are the shop's own CPU, which under gunicorn comes on top of the server's per-request cost
(README, "#23, twenty-first round"; docs/measurements.md has the figures).

    python bench/middleware_costs.py [--requests 10000] [--rounds 7]

The database is never asked anything on this path; the cache and the session engine are the
production profile's when REDIS_URL (or BENCH_REDIS_URL, default redis://127.0.0.1:6379/14)
names a Redis server.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def environ(path: str) -> dict:
    """What gunicorn puts in a GET's environ, without a body, cookies or the client's extras."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }


def serve(handler, path: str) -> None:
    answer = handler(environ(path), lambda status, headers, exc_info=None: None)
    b"".join(answer)
    answer.close()


def cpu_us(handler, path: str, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        serve(handler, path)
    return (time.process_time() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=10_000, help="probed requests (and per round for the ratio: a fifth)"
    )
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    os.environ.update(
        DEBUG="false",
        AURORAMART_DEMO="false",
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=tempfile.mkdtemp(prefix="auroramart-static-"),
        BENCH_BASELINE_VIEW="true",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="auroramart.settings",
    )
    os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from auroramart.core.bench import BARE_PATH, PROBE, MiddlewareProbe, handler_with, own_times, probed

    call_command("collectstatic", interactive=False, verbosity=0)  # the stylesheet's hashed name
    empty = "/__bench__/empty"
    stack = list(settings.MIDDLEWARE)
    # Three probes alone: the inner pair's gap is what a probe adds to each middleware's figure
    # (the outermost probe does more, and is left out of it).
    bare, plain, probed_stack, probes_alone = (
        handler_with([]),
        handler_with(stack),
        handler_with(probed(stack)),
        handler_with([PROBE, PROBE, PROBE]),
    )
    for handler, path in ((bare, BARE_PATH), (plain, empty), (probed_stack, empty), (probes_alone, empty)):
        for _ in range(300):
            serve(handler, path)

    per_round = max(1, args.requests // 5)
    bare_us, plain_us = [], []
    for _ in range(args.rounds):
        bare_us.append(cpu_us(bare, BARE_PATH, per_round))
        plain_us.append(cpu_us(plain, empty, per_round))

    MiddlewareProbe.finished.clear()
    for _ in range(args.requests):
        serve(probed_stack, empty)
    own = [own_times(marks, stack) for marks in MiddlewareProbe.finished]
    MiddlewareProbe.finished.clear()
    for _ in range(args.requests):
        serve(probes_alone, empty)
    alone = (
        statistics.median(own_times(marks, ["outer", "inner"])["inner"] for marks in MiddlewareProbe.finished)
        / 1000
    )

    b, p = statistics.median(bare_us), statistics.median(plain_us)
    print(f"cache {settings.CACHES['default']['BACKEND']}, sessions {settings.SESSION_ENGINE}")
    print(
        f"bare view {b:.1f} µs, empty view behind the stack {p:.1f} µs (medians of {args.rounds} rounds of "
        f"{per_round:,}): the stack {p - b:.1f} µs, ratio {b / p:.3f} in process"
    )
    print(f"\n{'middleware':40} own µs (median of {len(own):,} requests, less a probe's {alone:.2f} µs)")
    total = 0.0
    for name in stack:
        mine = max(0.0, statistics.median(request[name] for request in own) / 1000 - alone)
        total += mine
        print(f"{name.rsplit('.', 1)[1]:40} {mine:6.2f}")
    print(f"{'all of them':40} {total:6.2f}")


if __name__ == "__main__":
    main()
