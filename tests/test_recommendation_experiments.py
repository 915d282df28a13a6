"""A/B tests between two basket models in one slot (#27): started and stopped by staff, a
deterministic split, every event counted in its arm, and the lift shown with its interval."""

import math

import pytest
from django.urls import reverse

from auroramart.cart.storage import DbCart
from auroramart.core.stats import rate_lift
from auroramart.recommendations import experiments, registry, services
from auroramart.recommendations.datasets import read_baskets_csv
from auroramart.recommendations.models import RecommendationEvent, SlotExperiment
from auroramart.staff.models import AuditLog
from auroramart.staff.services import create_staff, setup_roles

from .factories import CustomerFactory, ProductFactory, variant
from .test_orders import buy, place_cart
from .test_recommendations import baskets_csv, paired_baskets

pytestmark = pytest.mark.django_db


def test_lift_and_its_interval_are_those_of_the_ratio_of_two_rates():
    r = rate_lift(100, 1000, 150, 1000)
    assert r["lift"] == pytest.approx(0.5)
    spread = 1.959964 * math.sqrt(1 / 100 - 1 / 1000 + 1 / 150 - 1 / 1000)
    assert r["low"] == pytest.approx(1.5 * math.exp(-spread) - 1) and r["low"] == pytest.approx(
        0.183, abs=1e-3
    )
    assert r["high"] == pytest.approx(1.5 * math.exp(spread) - 1) and r["significant"]
    small = rate_lift(10, 100, 12, 100)
    assert small["low"] < 0 < small["high"] and not small["significant"]  # too little traffic to tell
    assert rate_lift(0, 100, 5, 100) is None and rate_lift(5, 100, 0, 100) is None


@pytest.fixture
def shop(tmp_path):
    setup_roles()
    a, b = ProductFactory(sku="A", name="Trail Tent"), ProductFactory(sku="B", name="Tent Footprint")
    c, d = ProductFactory(sku="C"), ProductFactory(sku="D")
    services.train_association_model(read_baskets_csv(baskets_csv(tmp_path, *paired_baskets())))
    buyer = CustomerFactory()
    for i in range(4):  # the shop's own orders, from which a challenger is trained
        cart = DbCart(buyer)
        cart.set_item(variant(a).pk, 1, a.price)
        cart.set_item(variant(b).pk, 1, b.price)
        place_cart(buyer, key=f"ab-{i}")
        buy(buyer, c if i % 2 else d, quantity=1, key=f"ab-alone-{i}")  # so A and B beat chance
    admin = create_staff(email="ad@staff.test", password="staff-password-123", role="Admin")
    return a, b, admin


def test_staff_run_an_a_b_test_and_each_shopper_stays_in_one_arm(client, shop):
    a, b, admin = shop
    served, _ = registry.current("associations")
    client.force_login(admin)
    page = client.post(
        reverse("admin_panel:recommendations_ab_start"),
        {"slot": "pdp-fbt", "model": "co-occurrence", "share_b": "50"},
        follow=True,
    ).content.decode()
    assert "A/B test started" in page
    experiment = SlotExperiment.objects.get()
    challenger = experiment.challenger
    assert challenger.is_challenger and challenger.parameters["model"] == "co-occurrence"
    assert registry.current("associations")[0] == served  # everyone else keeps the served model
    assert AuditLog.objects.filter(action="start A/B test", actor=admin).exists()
    # A second test in the same slot, a share of 0 and an unknown slot are refused with a reason.
    for form, reason in [
        ({"slot": "pdp-fbt", "model": "EASE", "share_b": "50"}, "already running"),
        ({"slot": "cart-complete", "model": "EASE", "share_b": "0"}, "between 1 and 99"),
        ({"slot": "home-trending", "model": "EASE", "share_b": "50"}, "not served by the basket model"),
        ({"slot": "cart-complete", "model": "magic", "share_b": "50"}, "not a basket model"),
    ]:
        page = client.post(
            reverse("admin_panel:recommendations_ab_start"), form, follow=True
        ).content.decode()
        assert "A/B test not started" in page and reason in page
    assert SlotExperiment.objects.count() == 1

    # Forty customers see the product page's slot twice; each sees one arm's model both times.
    customers = [CustomerFactory() for _ in range(40)]
    arms = {}
    for customer in customers:
        client.force_login(customer)
        for _ in range(2):
            client.get(reverse("recommendations:bought_together", args=[a.pk]))
        arms[customer.pk] = experiments.arm_of(experiment, f"u{customer.pk}")
    impressions = RecommendationEvent.objects.filter(kind="impression", slot="pdp-fbt")
    for customer in customers:
        mine = impressions.filter(user=customer)
        assert {(e.arm, e.model_version) for e in mine} == {
            (arms[customer.pk], challenger.version if arms[customer.pk] == "B" else served.version)
        }
    in_b = sum(arm == "B" for arm in arms.values())
    assert 8 <= in_b <= 32  # about half, by the hash

    # Clicks, add-to-carts and purchases land in the buyer's arm.
    buyers = customers[:12]
    for customer in buyers:
        client.force_login(customer)
        client.get(b.get_absolute_url() + "?src=rec:pdp-fbt", HTTP_USER_AGENT="Mozilla/5.0")
        client.post(reverse("cart:add"), {"product_id": b.pk, "quantity": 1})
        buy(customer, b, quantity=1, key=f"ab-buy-{customer.pk}")
    result = experiments.results(experiment)
    for arm in ("A", "B"):
        members = [c for c in customers if arms[c.pk] == arm]
        bought = [c for c in buyers if arms[c.pk] == arm]
        figures = result["arms"][arm]
        assert figures["shoppers"] == len(members) and figures["impressions"] == 2 * len(members)
        assert figures["clicks"] == figures["add_to_carts"] == figures["purchases"] == len(bought)
    assert RecommendationEvent.objects.filter(kind="purchase", experiment=experiment).count() == len(buyers)

    client.force_login(admin)
    page = client.get(reverse("admin_panel:recommendations")).content.decode()
    assert f'id="experiment-{experiment.pk}"' in page and "Click-through lift" in page
    if result["ctr_lift"]:
        assert "95% CI" in page

    # Stopped: its figures stay, and shoppers are no longer split.
    client.post(reverse("admin_panel:recommendations_ab_stop", args=[experiment.pk]))
    experiment.refresh_from_db()
    assert experiment.ended_at is not None
    client.force_login(customers[0])
    client.get(reverse("recommendations:bought_together", args=[a.pk]))
    latest = impressions.order_by("-pk").first()
    assert latest.experiment is None and latest.arm == "" and latest.model_version == served.version


def test_only_admins_start_or_stop_a_b_tests(client, shop):
    analyst = create_staff(email="an@staff.test", password="staff-password-123", role="Analyst")
    client.force_login(analyst)
    form = {"slot": "pdp-fbt", "model": "EASE", "share_b": "50"}
    assert client.post(reverse("admin_panel:recommendations_ab_start"), form).status_code == 403
    assert not SlotExperiment.objects.exists()
    page = client.get(reverse("admin_panel:recommendations")).content.decode()
    assert "A/B tests" in page and "Start A/B test" not in page
