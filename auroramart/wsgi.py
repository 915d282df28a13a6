import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auroramart.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

from auroramart.core.startup import freeze_what_was_loaded  # noqa: E402

if settings.BENCH_BASELINE_VIEW:  # `make bench` only: the bare view's requests skip the middleware
    from auroramart.core.bench import with_bare_view

    application = with_bare_view(application)

freeze_what_was_loaded()
