from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "auroramart.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.conf import settings
        from django.utils.module_loading import import_string

        from . import checks  # noqa: F401  (registers the deployment checks)

        # Who reacts to which event, in one place above every app (core/events.py).
        import_string(settings.EVENT_WIRING)()
