from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "auroramart.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self):
        # Cache invalidation only: the rewards shown in every cart and the tiers are held until a
        # reward or a tier (its threshold decides who sees a reward) is saved or deleted.
        from django.db.models.signals import post_delete, post_save

        from .models import LoyaltyReward, LoyaltyTier
        from .selectors import forget_rewards, forget_tiers

        def invalidate(sender, **kwargs):
            forget_rewards()
            forget_tiers()

        for model in (LoyaltyReward, LoyaltyTier):
            for signal in (post_save, post_delete):
                signal.connect(
                    invalidate, sender=model, weak=False, dispatch_uid=f"loyalty-rewards-{model.__name__}"
                )
