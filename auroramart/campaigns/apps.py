from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "auroramart.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
