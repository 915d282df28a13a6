"""Launching campaigns, sending their messages once, showing their banner to
their audience, their bonus points, and the figures that say whether they worked."""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from auroramart.accounts.models import Notification
from auroramart.accounts.services import marketing_headers, notify, unsubscribe_url
from auroramart.analytics.models import MarketingAnalytics
from auroramart.core.client import Actor, as_actor
from auroramart.core.held import HeldSetting
from auroramart.core.outbox import queue_email
from auroramart.orders.models import PAID_STATUSES as PAID
from auroramart.orders.models import Order, OrderItem
from auroramart.promotions.models import Coupon, CouponRedemption
from auroramart.staff.services import actor_user, record_audit

from .audience import audience, in_holdout
from .models import Campaign, CampaignMember

BATCH = 500


class CampaignError(Exception):
    pass


def preview(filters: dict) -> int:
    return audience(filters).count()


def _coupon_for(campaign: Campaign) -> Coupon:
    code = f"CMP{campaign.pk}-{secrets.token_hex(3).upper()}"
    return Coupon.objects.create(
        code=code,
        description=f"Campaign: {campaign.name}"[:200],
        kind=Coupon.Kind.PERCENT,
        value=campaign.discount_percent,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        per_customer_limit=1,
    )


@transaction.atomic
def create_campaign(*, campaign: Campaign, audience_filters: dict, actor: Actor | None) -> Campaign:
    """Save a draft campaign (built, unsaved, from its validated form) with its audience filters."""
    campaign.audience, campaign.created_by = audience_filters, actor_user(actor)
    campaign.save()
    record_audit(actor, "create", campaign, changes={"audience": [None, campaign.audience]})
    return campaign


def launch(campaign: Campaign, *, actor=None) -> dict:
    """Freeze the audience (target and holdout), create the offer, queue the messages."""
    actor = as_actor(actor)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != Campaign.Status.DRAFT:
            raise CampaignError("This campaign has already been launched.")
        if campaign.offer == Campaign.Offer.COUPON and campaign.coupon is None:
            campaign.coupon = _coupon_for(campaign)
        people = audience(campaign.audience).values_list("pk", "profile__marketing_opt_in")
        members = [
            CampaignMember(
                campaign=campaign,
                user_id=pk,
                opted_in=bool(opted_in),
                group=CampaignMember.Group.HOLDOUT
                if in_holdout(campaign.pk, pk, campaign.holdout_percent)
                else CampaignMember.Group.TARGET,
            )
            for pk, opted_in in people.iterator(chunk_size=2000)
        ]
        CampaignMember.objects.bulk_create(members, batch_size=2000, ignore_conflicts=True)
        campaign.status, campaign.launched_at = Campaign.Status.LAUNCHED, timezone.now()
        campaign.save(update_fields=["status", "launched_at", "coupon"])
        holdout = sum(1 for m in members if m.group == CampaignMember.Group.HOLDOUT)
        record_audit(
            actor, "launch", campaign, changes={"audience": [None, len(members)], "holdout": [None, holdout]}
        )
        transaction.on_commit(lambda: dispatch(campaign.pk))
    return {"audience": len(members), "holdout": holdout, "target": len(members) - holdout}


def dispatch(campaign_id: int) -> int:
    """Queue the message batches (safe to call again: sending skips who already has it)."""
    from .tasks import send_campaign_batch

    campaign = Campaign.objects.get(pk=campaign_id)
    if not (campaign.channel_notification or campaign.channel_email):
        return 0
    ids = list(
        CampaignMember.objects.filter(
            campaign_id=campaign_id, group=CampaignMember.Group.TARGET, opted_in=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH):
        send_campaign_batch.delay(campaign_id, ids[start : start + BATCH])
    return len(ids)


def send_batch(campaign_id: int, member_ids: list[int]) -> int:
    """Send each member their notification and email at most once, whatever retries happen:
    the member row is locked and stamped in the same transaction as the send is queued."""
    campaign = Campaign.objects.get(pk=campaign_id)
    sent = 0
    for member_id in member_ids:
        with transaction.atomic():
            member = (
                CampaignMember.objects.select_for_update(skip_locked=True)
                .select_related("user")
                .filter(pk=member_id, campaign=campaign, group=CampaignMember.Group.TARGET, opted_in=True)
                .first()
            )
            if member is None:
                continue
            now = timezone.now()
            link = f"/campaigns/{campaign.pk}/go/"
            if campaign.channel_notification and member.notified_at is None:
                notify(
                    user=member.user,
                    kind=Notification.Kind.PROMOTION,
                    title=campaign.headline,
                    body=campaign.message,
                    url=link,
                )
                member.notified_at = now
                sent += 1
            if campaign.channel_email and member.emailed_at is None:
                code = f"\n\nYour code: {campaign.coupon.code}" if campaign.coupon else ""
                queue_email(
                    to=member.user.email,
                    subject=campaign.headline,
                    body=f"{campaign.message}{code}\n\nSee the offer:\n{settings.SITE_URL}{link}",
                    context={"unsubscribe_url": unsubscribe_url(member.user)},
                    headers=marketing_headers(member.user),
                )
                member.emailed_at = now
                sent += 1
            member.save(update_fields=["notified_at", "emailed_at"])
    return sent


def running_for(user):
    """Launched campaigns in their window whose banner this customer should see."""
    now = timezone.now()
    return Campaign.objects.filter(
        status=Campaign.Status.LAUNCHED,
        channel_banner=True,
        starts_at__lte=now,
        ends_at__gt=now,
        members__user=user,
        members__group=CampaignMember.Group.TARGET,
    ).order_by("-launched_at")


def banner_for(user) -> Campaign | None:
    campaign = running_for(user).select_related("coupon").first()
    if campaign is not None:
        CampaignMember.objects.filter(campaign=campaign, user=user).update(banner_views=F("banner_views") + 1)
    return campaign


def record_click(campaign: Campaign, user) -> None:
    CampaignMember.objects.filter(campaign=campaign, user=user, clicked_at__isnull=True).update(
        clicked_at=timezone.now()
    )


def bonus_points_for_order(*, order) -> None:
    """Paid step: a points campaign multiplies the points earned on its category for its target members."""
    from auroramart.loyalty.services import order_bonus

    if order.user_id is None:
        return  # a guest is no campaign's member
    if not any(starts <= order.placed_at < ends for starts, ends in _points_campaigns.get()):
        return  # none was running when it was placed: the usual case, without a query (#23)
    campaigns = Campaign.objects.filter(
        status=Campaign.Status.LAUNCHED,
        offer=Campaign.Offer.POINTS,
        starts_at__lte=order.placed_at,
        ends_at__gt=order.placed_at,
        members__user_id=order.user_id,
        members__group=CampaignMember.Group.TARGET,
    )
    for campaign in campaigns:
        if campaign.points_category_id is None:
            continue
        spent = OrderItem.objects.filter(
            order=order, product__category_id=campaign.points_category_id
        ).aggregate(s=Sum("line_total"))["s"] or Decimal("0")
        points = int(spent * (campaign.points_multiplier - 1))
        order_bonus(order=order, points=points, reason=f"Campaign {campaign.pk}: {campaign.name}")


def forget_points_campaigns() -> None:
    _points_campaigns.forget()


# When each launched points campaign runs: every paid order asks whether one was running.
_points_campaigns = HeldSetting(
    "campaigns:points-windows:v1",
    lambda: list(
        Campaign.objects.filter(status=Campaign.Status.LAUNCHED, offer=Campaign.Offer.POINTS).values_list(
            "starts_at", "ends_at"
        )
    ),
)


def offer_totals(campaign: Campaign, start=None, end=None) -> tuple[int, Decimal, Decimal]:
    """(uses, revenue of the orders, cost) of the campaign's offer, optionally within a window:
    coupon redemptions on paid orders, or bonus points given (valued at 100 points = S$1)."""
    from auroramart.loyalty.models import LoyaltyTransaction

    rows: QuerySet
    if campaign.coupon_id:
        rows = CouponRedemption.objects.filter(coupon_id=campaign.coupon_id, order__status__in=PAID)
        when = "order__placed_at"
        cost = Sum("amount")
    else:
        rows = LoyaltyTransaction.objects.filter(kind="bonus", reason__startswith=f"Campaign {campaign.pk}:")
        when = "created_at"
        cost = Sum("points")
    if start is not None:
        rows = rows.filter(**{f"{when}__gte": start, f"{when}__lt": end})
    totals = rows.aggregate(uses=Count("id"), revenue=Sum("order__total"), cost=cost)
    spent = Decimal(totals["cost"] or 0)
    return totals["uses"], totals["revenue"] or Decimal("0"), spent if campaign.coupon_id else spent / 100


def marketing_rows(day, start, end) -> list[MarketingAnalytics]:
    """Daily rollup rows for campaigns, from their offers' totals of that day."""
    rows = []
    for campaign in Campaign.objects.exclude(launched_at=None):
        uses, revenue, cost = offer_totals(campaign, start, end)
        if uses:
            rows.append(
                MarketingAnalytics(
                    date=day,
                    kind="campaign",
                    key=str(campaign.pk),
                    name=campaign.name,
                    uses=uses,
                    revenue=revenue,
                    discount_cost=cost,
                )
            )
    return rows


@dataclass
class GroupFigures:
    members: int
    buyers: int
    revenue: Decimal

    @property
    def conversion(self) -> float:
        return self.buyers / self.members if self.members else 0.0

    @property
    def revenue_per_member(self) -> Decimal:
        return (self.revenue / self.members).quantize(Decimal("0.01")) if self.members else Decimal("0.00")


def figures(campaign: Campaign) -> dict:
    """Reach, engagement, redemptions, revenue and cost, and the lift against the holdout."""

    members = CampaignMember.objects.filter(campaign=campaign)
    target = members.filter(group=CampaignMember.Group.TARGET)
    groups = {}
    end = min(campaign.ends_at, timezone.now())
    for group in CampaignMember.Group.values:
        ids = members.filter(group=group).values("user_id")
        orders = Order.objects.filter(
            user_id__in=ids,
            status__in=PAID,
            placed_at__gte=campaign.launched_at or campaign.starts_at,
            placed_at__lt=end,
        )
        groups[group] = GroupFigures(
            members=members.filter(group=group).count(),
            buyers=orders.values("user_id").distinct().count(),
            revenue=orders.aggregate(s=Sum("total"))["s"] or Decimal("0"),
        )
    t, h = groups["target"], groups["holdout"]
    redemptions, offer_revenue, cost = offer_totals(campaign)
    lift = (t.conversion - h.conversion) / h.conversion if h.conversion else None
    incremental = (t.revenue_per_member - h.revenue_per_member) * t.members
    return {
        "audience": members.count(),
        "target": t,
        "holdout": h,
        "notified": target.exclude(notified_at=None).count(),
        "emailed": target.exclude(emailed_at=None).count(),
        "banner_viewers": target.filter(banner_views__gt=0).count(),
        "clicks": target.exclude(clicked_at=None).count(),
        "redemptions": redemptions,
        "offer_revenue": offer_revenue,
        "discount_cost": cost.quantize(Decimal("0.01")) if isinstance(cost, Decimal) else cost,
        "lift": lift,
        "incremental_revenue": incremental,
    }
