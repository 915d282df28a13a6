"""The demo shop's campaign: one that ran a few months ago, with a coupon, a
banner and an email, and a 20% holdout, so its page shows reach, redemptions
and the lift against the holdout. The historical orders are generated knowing
it (demo/orders.py): target members used its coupon and came back more often."""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from auroramart.campaigns.audience import audience, in_holdout
from auroramart.campaigns.models import Campaign, CampaignMember
from auroramart.promotions.models import Coupon

DEMO_CAMPAIGN = "Mid-year thank-you"
STARTED_DAYS_AGO, LASTED_DAYS = 100, 30


def create_demo_campaign(*, seed: int) -> Campaign | None:
    """The ended demo campaign with its frozen audience (made once); None when there are no customers."""
    existing = Campaign.objects.filter(name=DEMO_CAMPAIGN).first()
    if existing is not None:
        return existing
    people = list(audience({}).values_list("pk", "profile__marketing_opt_in"))
    if not people:
        return None
    rng = random.Random(f"campaign:{seed}")
    starts = timezone.now().replace(microsecond=0) - timedelta(days=STARTED_DAYS_AGO)
    ends = starts + timedelta(days=LASTED_DAYS)
    coupon, _ = Coupon.objects.update_or_create(
        code="THANKS15",
        defaults={
            "description": f"Campaign: {DEMO_CAMPAIGN}",
            "kind": Coupon.Kind.PERCENT,
            "value": Decimal("15"),
            "starts_at": starts,
            "ends_at": ends,
            "per_customer_limit": 1,
        },
    )
    campaign = Campaign.objects.create(
        name=DEMO_CAMPAIGN,
        goal="Bring customers back in the quiet mid-year weeks",
        status=Campaign.Status.ENDED,
        holdout_percent=20,
        offer=Campaign.Offer.COUPON,
        coupon=coupon,
        discount_percent=Decimal("15"),
        channel_banner=True,
        channel_email=True,
        headline="Thank you: 15% off this month",
        message="Use THANKS15 at checkout for 15% off one order, until the end of the month.",
        starts_at=starts,
        ends_at=ends,
        launched_at=starts,
    )
    members = []
    for user_id, opted_in in people:
        holdout = in_holdout(campaign.pk, user_id, campaign.holdout_percent)
        member = CampaignMember(
            campaign=campaign,
            user_id=user_id,
            opted_in=bool(opted_in),
            group=CampaignMember.Group.HOLDOUT if holdout else CampaignMember.Group.TARGET,
        )
        if not holdout:
            if opted_in:
                member.emailed_at = starts + timedelta(minutes=rng.randint(1, 30))
            member.banner_views = rng.choice([0, 0, 1, 2, 3, 5])
            if member.banner_views and rng.random() < 0.35:
                member.clicked_at = starts + timedelta(days=rng.randint(0, LASTED_DAYS - 1))
        members.append(member)
    CampaignMember.objects.bulk_create(members)
    return campaign
