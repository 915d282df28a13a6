"""Real concurrency for the race tests: callables started at the same moment on threads of
their own, each with its own database connections."""

import threading

from django.db import connections


def race(callables):
    """Start every callable at the same moment on its own thread; collect results or exceptions."""
    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results
