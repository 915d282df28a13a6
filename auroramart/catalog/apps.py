from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "auroramart.catalog"
    label = "catalog"
    verbose_name = "Catalog"
