from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "auroramart.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self):
        # Campaign bonus points when an order is paid; campaign rows in the daily marketing rollup.
        from auroramart.analytics.rollups import MARKETING_SOURCES
        from auroramart.orders import services as orders

        from . import services

        for steps, step in (
            (orders.PAID_STEPS, services.bonus_points_for_order),
            (MARKETING_SOURCES, services.marketing_rows),
        ):
            if step not in steps:
                steps.append(step)
