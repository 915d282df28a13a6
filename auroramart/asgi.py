import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auroramart.settings")
application = get_asgi_application()

from auroramart.core.startup import freeze_what_was_loaded  # noqa: E402  (after Django is set up)

freeze_what_was_loaded()
