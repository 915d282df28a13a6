from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "auroramart.search"
    label = "search"
    verbose_name = "Search"
