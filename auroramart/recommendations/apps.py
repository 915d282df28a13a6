from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "auroramart.recommendations"
    label = "recommendations"
    verbose_name = "Recommendations"
