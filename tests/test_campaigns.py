"""Campaigns: audiences from filters, a deterministic holdout, messages sent
once whatever retries happen, the banner only for the audience, bonus points,
and the figures (lift against the holdout) on a small fixed data set."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from auroramart.accounts.models import Notification
from auroramart.analytics.models import CustomerAnalytics, MarketingAnalytics
from auroramart.analytics.rollups import rollup
from auroramart.campaigns import services
from auroramart.campaigns.audience import audience, in_holdout
from auroramart.campaigns.models import Campaign, CampaignMember
from auroramart.core.models import OutboxEmail
from auroramart.loyalty.models import LoyaltyTier, LoyaltyTransaction
from auroramart.loyalty.services import open_account
from auroramart.promotions.models import CouponRedemption
from auroramart.staff.services import create_staff, setup_roles

from .factories import CategoryFactory, CustomerFactory, ProductFactory, SubcategoryFactory
from .races import race
from .test_analytics import make_order

pytestmark = pytest.mark.django_db


def customer(email, *, gender="Female", age=30, opt_in=True, predicted="Electronics", **profile):
    user = CustomerFactory(
        email=email,
        profile__gender=gender,
        profile__age=age,
        profile__marketing_opt_in=opt_in,
        **{f"profile__{k}": v for k, v in profile.items()},
    )
    user.profile.predicted_categories = [
        {"category": predicted, "probability": 0.6},
        {"category": "Books", "probability": 0.2},
    ]
    user.profile.save()
    open_account(user)
    return user


def campaign(**overrides) -> Campaign:
    now = timezone.now()
    fields = {
        "name": "Gadget week",
        "headline": "Gadgets for you",
        "message": "10% off electronics this week.",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=7),
        "audience": {},
        **overrides,
    }
    return Campaign.objects.create(**fields)


@pytest.fixture
def people():
    books = CategoryFactory(name="Books")
    CategoryFactory(name="Electronics")
    a = customer("a@example.test", age=25)
    a.profile.preferred_categories.add(books)
    b = customer("b@example.test", gender="Male", age=40, opt_in=False, predicted="Fashion - Men")
    c = customer("c@example.test", age=60)
    now = timezone.now()
    product = ProductFactory()
    make_order(a, now - timedelta(days=10), [(product, 1, Decimal("20"))])
    make_order(c, now - timedelta(days=200), [(product, 1, Decimal("20"))])
    gold = LoyaltyTier.objects.get(name="Gold")
    a.loyalty.tier = gold
    a.loyalty.save()
    CustomerAnalytics.objects.create(
        user=a,
        as_of=now.date(),
        first_order_at=now,
        last_order_at=now,
        recency_days=10,
        frequency=1,
        monetary=20,
        lifetime_value=20,
        r_score=5,
        f_score=5,
        m_score=5,
        segment="champions",
    )
    CustomerFactory(email="staff@example.test", is_staff=True)
    return {"a": a, "b": b, "c": c}


def emails(filters):
    return sorted(u.email for u in audience(filters))


def test_audience_filters_match_hand_built_customers(people):
    assert emails({}) == ["a@example.test", "b@example.test", "c@example.test"]  # never staff
    assert emails({"predicted_category": "Electronics"}) == ["a@example.test", "c@example.test"]
    assert emails({"preferred_category": "Books"}) == ["a@example.test"]
    assert emails({"tiers": ["Gold"]}) == ["a@example.test"]
    assert emails({"segments": ["champions", "lost"]}) == ["a@example.test"]
    assert emails({"gender": "Male"}) == ["b@example.test"]
    assert emails({"age_min": 30, "age_max": 60}) == ["b@example.test", "c@example.test"]
    assert emails({"last_purchase_after": str((timezone.now() - timedelta(days=30)).date())}) == [
        "a@example.test"
    ]
    assert emails({"last_purchase_before": str((timezone.now() - timedelta(days=30)).date())}) == [
        "b@example.test",
        "c@example.test",
    ]
    assert emails({"opted_in_only": True}) == ["a@example.test", "c@example.test"]
    assert emails({"opted_in_only": True, "predicted_category": "Electronics", "age_max": 50}) == [
        "a@example.test"
    ]


def test_holdout_is_deterministic_and_the_right_size():
    first = [in_holdout(7, user, 10) for user in range(5000)]
    assert first == [in_holdout(7, user, 10) for user in range(5000)]
    assert 0.08 < sum(first) / 5000 < 0.12
    assert 0.18 < sum(in_holdout(7, user, 20) for user in range(5000)) / 5000 < 0.22
    assert first != [in_holdout(8, user, 10) for user in range(5000)]  # another campaign, another split
    assert not any(in_holdout(7, user, 0) for user in range(1000))


def test_launch_freezes_the_audience_and_sends_each_message_once(people, django_capture_on_commit_callbacks):
    c = campaign(channel_notification=True, channel_email=True, offer="coupon", holdout_percent=0)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.launch(c)
    assert result == {"audience": 3, "holdout": 0, "target": 3}
    c.refresh_from_db()
    assert c.coupon.code.startswith(f"CMP{c.pk}-") and c.coupon.value == Decimal("10")
    # Retries: the dispatcher and a batch run again.
    services.dispatch(c.pk)
    ids = list(CampaignMember.objects.filter(campaign=c).values_list("pk", flat=True))
    assert services.send_batch(c.pk, ids) == 0
    for user in (people["a"], people["c"]):  # opted in
        assert Notification.objects.filter(user=user, kind="promotion").count() == 1
        assert OutboxEmail.objects.filter(to=user.email, subject="Gadgets for you").count() == 1
        assert c.coupon.code in OutboxEmail.objects.get(to=user.email, subject="Gadgets for you").body
    assert not Notification.objects.filter(user=people["b"], kind="promotion").exists()  # not opted in
    with pytest.raises(services.CampaignError):
        services.launch(c)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises writes"
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_batch_send_once():
    users = [customer(f"p{n}@example.test") for n in range(12)]
    c = campaign(channel_notification=True, channel_email=True, holdout_percent=0)
    services.launch(c)
    ids = list(CampaignMember.objects.filter(campaign=c).values_list("pk", flat=True))
    outcomes = race([lambda: services.send_batch(c.pk, ids)] * 4)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    services.send_batch(c.pk, ids)  # and a late retry finishes anything skipped while locked
    for user in users:
        assert Notification.objects.filter(user=user, kind="promotion").count() == 1
        assert OutboxEmail.objects.filter(to=user.email).count() == 1


def test_the_banner_shows_only_to_the_target_group(people):
    c = campaign(holdout_percent=0)
    services.launch(c)
    CampaignMember.objects.filter(campaign=c, user=people["c"]).update(group="holdout")
    outsider = customer("outsider@example.test", predicted="Books")
    CampaignMember.objects.filter(campaign=c, user=outsider).delete()

    def banner(user):
        client = Client()
        if user:
            client.force_login(user)
        return client, client.get("/campaigns/banner/").content.decode()

    client, html = banner(people["a"])
    assert "Gadgets for you" in html
    assert "Gadgets for you" not in banner(people["c"])[1]  # held out
    assert "Gadgets for you" not in banner(outsider)[1]  # not in the audience
    assert "Gadgets for you" not in banner(None)[1]  # a guest
    assert client.get(f"/campaigns/{c.pk}/go/").status_code == 302
    member = CampaignMember.objects.get(campaign=c, user=people["a"])
    assert member.banner_views == 1 and member.clicked_at is not None
    assert 'hx-get="/campaigns/banner/"' in Client().get("/").content.decode()


def test_figures_and_lift_on_a_fixed_data_set(people):
    extra = [customer(f"t{n}@example.test") for n in range(3)]
    c = campaign(offer="coupon", holdout_percent=0)
    services.launch(c)
    c.refresh_from_db()
    target = [people["a"], extra[0], extra[1], extra[2]]
    holdout = [people["b"], people["c"]]
    CampaignMember.objects.filter(campaign=c, user__in=holdout).update(group="holdout")
    assert set(CampaignMember.objects.filter(campaign=c, group="target").values_list("user", flat=True)) == {
        u.pk for u in target
    }
    later = timezone.now()
    product = ProductFactory()
    bought = make_order(people["a"], later, [(product, 2, Decimal("50"))])  # 100, with the coupon
    CouponRedemption.objects.create(coupon=c.coupon, order=bought, user=people["a"], amount=Decimal("10"))
    make_order(extra[0], later, [(product, 1, Decimal("60"))])  # 60, without
    make_order(people["b"], later, [(product, 1, Decimal("40"))])  # the holdout buys too
    make_order(extra[1], later, [(product, 1, Decimal("70"))], status="cancelled")  # does not count
    Campaign.objects.filter(pk=c.pk).update(ends_at=timezone.now() + timedelta(days=1))
    c.refresh_from_db()
    f = services.figures(c)
    assert (f["target"].members, f["target"].buyers, f["target"].revenue) == (4, 2, Decimal("160"))
    assert (f["holdout"].members, f["holdout"].buyers, f["holdout"].revenue) == (2, 1, Decimal("40"))
    assert f["target"].conversion == 0.5 and f["holdout"].conversion == 0.5
    assert f["lift"] == 0.0  # the campaign only discounted sales that happened anyway
    assert f["target"].revenue_per_member == Decimal("40.00") and f["holdout"].revenue_per_member == Decimal(
        "20.00"
    )
    assert f["incremental_revenue"] == Decimal("80.00")
    assert (f["redemptions"], f["offer_revenue"], f["discount_cost"]) == (1, Decimal("100"), Decimal("10.00"))
    rollup(timezone.localdate(), timezone.localdate())
    row = MarketingAnalytics.objects.get(kind="campaign", key=str(c.pk))
    assert (row.uses, row.revenue, row.discount_cost) == (1, Decimal("100.00"), Decimal("10.00"))
    # Its coupon is counted once, in the campaign's row, which the dashboard names by the campaign.
    assert not MarketingAnalytics.objects.filter(kind="coupon", key=c.coupon.code).exists()
    from auroramart.analytics.selectors import dashboard, parse_range
    from auroramart.analytics.tables import tables

    chart = next(t for t in tables(dashboard(parse_range({"range": "7d"})[0])) if t["name"] == "marketing")
    assert chart["labels"] == [c.name]


def test_a_points_campaign_multiplies_points_on_its_category(people):
    from auroramart.core.events import publish
    from auroramart.orders.events import OrderPaid

    gadgets = SubcategoryFactory(category=CategoryFactory(name="Gadgets"))
    c = campaign(
        offer="points", points_category=gadgets.category, points_multiplier=Decimal("3"), holdout_percent=0
    )
    services.launch(c)
    order = make_order(
        people["a"],
        timezone.now(),
        [(ProductFactory(subcategory=gadgets), 1, Decimal("45")), (ProductFactory(), 1, Decimal("10"))],
    )
    publish(OrderPaid(order=order))
    step = services.bonus_points_for_order
    step(order=order)  # a second confirmation adds nothing
    bonus = LoyaltyTransaction.objects.filter(kind="bonus", order=order)
    assert bonus.count() == 1 and bonus.get().points == 90  # 45 × (3 − 1)
    assert services.figures(c)["discount_cost"] == Decimal("0.90")
    earned = LoyaltyTransaction.objects.get(kind="earn", order=order).points
    qualifying = people["a"].loyalty.__class__.objects.get(user=people["a"]).qualifying_points
    from auroramart.loyalty.services import reverse_for_order

    reverse_for_order(order=order, fraction=Decimal("1"), reason="cancellation")  # the order is cancelled
    reversed_ = LoyaltyTransaction.objects.get(kind="reverse", order=order)
    assert reversed_.points == -(earned + 90)  # the bonus goes back with the points earned
    account = people["a"].loyalty.__class__.objects.get(user=people["a"])
    assert account.qualifying_points == qualifying - earned  # only earned points ever counted for the tier


def test_staff_build_preview_and_launch_in_the_panel(people):
    setup_roles()
    client = Client()
    client.force_login(create_staff(email="crm@staff.test", password="staff-password-123", role="CRM"))
    count = client.get(
        "/admin-panel/promotions/campaigns/preview/",
        {"aud-predicted_category": "Electronics", "aud-opted_in_only": "on"},
    )
    assert count.content.decode() == "2 customers match"
    bad = client.post(
        "/admin-panel/promotions/campaigns/new/", {"name": "X", "aud-age_min": "50", "aud-age_max": "20"}
    )
    assert bad.status_code == 200 and Campaign.objects.count() == 0
    assert "The oldest age must not be below the youngest." in bad.content.decode()
    now = timezone.now()
    response = client.post(
        "/admin-panel/promotions/campaigns/new/",
        {
            "name": "Gadget week",
            "goal": "more electronics",
            "headline": "Gadgets",
            "message": "Ten percent off",
            "link": "/item/",
            "offer": "coupon",
            "discount_percent": "15",
            "points_multiplier": "2",
            "channel_banner": "on",
            "holdout_percent": "10",
            "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "aud-predicted_category": "Electronics",
        },
        follow=True,
    )
    c = Campaign.objects.get()
    assert (
        c.audience == {"predicted_category": "Electronics"}
        and "2 customers match the audience now" in response.content.decode()
    )
    assert "Audience: top predicted category (name): Electronics" in response.content.decode()
    launched = client.post(f"/admin-panel/promotions/campaigns/{c.pk}/launch/", follow=True).content.decode()
    assert "Launched to" in launched and "Did it cause sales?" in launched
    assert CampaignMember.objects.filter(campaign=c).count() == 2
    for role, status in (("Analyst", 403), ("Service", 403), ("Sales", 200), ("Admin", 200)):
        staff = Client()
        staff.force_login(
            create_staff(email=f"{role.lower()}@staff.test", password="staff-password-123", role=role)
        )
        assert staff.get("/admin-panel/promotions/campaigns/").status_code == status, role


def test_audience_filters_read_as_words():
    from auroramart.campaigns.audience import describe

    assert describe({}) == "every active customer"
    assert (
        describe({"tiers": ["Gold", "Platinum"], "age_min": 25, "has_children": False, "opted_in_only": True})
        == "loyalty tiers (names): Gold, Platinum; youngest age: 25; children in the household: no; "
        "only customers who accept marketing"
    )
