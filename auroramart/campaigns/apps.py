from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "auroramart.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self):
        # Cache invalidation only: when the launched points campaigns run is held
        # (services._points_campaigns) until a campaign is saved or deleted.
        from auroramart.core.held import forget_when_changed

        from .models import Campaign
        from .services import forget_points_campaigns

        forget_when_changed(forget_points_campaigns, Campaign, name="campaigns-points")
