from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "auroramart.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self):
        # Cache invalidation only: the rewards shown in every cart and the tiers are held until a
        # reward or a tier (its threshold decides who sees a reward) is saved or deleted.
        from auroramart.core.held import forget_when_changed

        from .models import LoyaltyReward, LoyaltyTier
        from .selectors import forget_rewards, forget_tiers

        forget_when_changed(forget_rewards, LoyaltyReward, LoyaltyTier, name="loyalty-rewards")
        forget_when_changed(forget_tiers, LoyaltyTier, name="loyalty-tiers")
