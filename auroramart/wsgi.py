import gc
import os
from importlib import import_module

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auroramart.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

if settings.BENCH_BASELINE_VIEW:  # `make bench` only: the bare view's requests skip the middleware
    from auroramart.core.bench import with_bare_view

    application = with_bare_view(application)

# What a worker loads at start (Django, the apps, every URL pattern and view module, about
# 250,000 objects) lives as long as the worker. Python's full garbage collection scans all of
# it, about 140 ms with the process stopped, once every few thousand requests: the slowest
# requests of a page under load were those caught behind it (#23, p99). Frozen, it is left out
# of every collection; what requests create is collected as before.
import_module(settings.ROOT_URLCONF)  # the URLconf and every view module now, not in a request
gc.collect()
gc.freeze()
