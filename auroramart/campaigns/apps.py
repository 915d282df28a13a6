from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "auroramart.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self):
        # Cache invalidation only: when the launched points campaigns run is held
        # (services._points_campaigns) until a campaign is saved or deleted.
        from django.db.models.signals import post_delete, post_save

        from .models import Campaign
        from .services import forget_points_campaigns

        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kwargs: forget_points_campaigns(),
                sender=Campaign,
                weak=False,
                dispatch_uid=f"campaigns-points-{signal is post_save}",
            )
