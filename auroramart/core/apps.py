from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "auroramart.core"
    label = "core"
    verbose_name = "Core"
