from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "auroramart.api"
    label = "api"
    verbose_name = "JSON API"
