"""What a web worker does once it has loaded the app, whichever server runs it (WSGI or ASGI)."""

import gc
from importlib import import_module

from django.conf import settings


def freeze_what_was_loaded() -> None:
    """What a worker loads at start (Django, the apps, every URL pattern and view module, about
    250,000 objects) lives as long as the worker. Python's full garbage collection scans all of
    it, about 140 ms with the process stopped, once every few thousand requests: the slowest
    requests of a page under load were those caught behind it (#23, p99). Frozen, it is left
    out of every collection; what requests create is collected as before."""
    import_module(settings.ROOT_URLCONF)  # the URLconf and every view module now, not in a request
    gc.collect()
    gc.freeze()
