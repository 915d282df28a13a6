from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "auroramart.analytics"
    label = "analytics"
    verbose_name = "Analytics"
