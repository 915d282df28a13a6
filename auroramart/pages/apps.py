from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "auroramart.pages"
    label = "pages"
    verbose_name = "Pages"
