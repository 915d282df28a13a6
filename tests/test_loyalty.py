from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from auroramart.accounts.models import Notification
from auroramart.cart.storage import DbCart
from auroramart.catalog.models import ProductReview
from auroramart.catalog.services import moderate_review, submit_review
from auroramart.loyalty import services
from auroramart.loyalty.models import LoyaltyAccount, LoyaltyReward, LoyaltyTier, LoyaltyTransaction
from auroramart.loyalty.services import LoyaltyError
from auroramart.orders import services as orders
from auroramart.orders.services import CheckoutError, ShippingAddress, place_order
from auroramart.promotions.models import Coupon

from .factories import CustomerFactory, ProductFactory, StaffFactory, variant

pytestmark = pytest.mark.django_db
ADDRESS = ShippingAddress("Mei Tan", "+65 9123 4567", "1 Orchard Road", "", "238801")
VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"


@pytest.fixture
def customer(client):
    user = CustomerFactory(email="mei@example.test")
    services.open_account(user)  # as registration does
    client.force_login(user)
    return user


@pytest.fixture
def lamp():
    return ProductFactory(name="Lamp", price=Decimal("45.50"), stock_quantity=100)


def balance(user):
    return LoyaltyAccount.objects.get(user=user).balance


def ledger_sum(user):
    return LoyaltyTransaction.objects.filter(account__user=user).aggregate(s=Sum("points"))["s"] or 0


def buy(user, product, quantity=1, key="k", payment_method=VISA):
    DbCart(user).set_item(variant(product).pk, quantity, product.price)
    return place_order(
        user=user,
        cart=DbCart(user),
        idempotency_key=key,
        address=ADDRESS,
        shipping_method="standard",
        payment_method=payment_method,
    ).order


def test_registration_opens_an_account_with_the_welcome_bonus(client):
    client.post(
        "/register/",
        {
            "email": "new@example.test",
            "first_name": "New",
            "last_name": "Person",
            "password1": "violet-harbour-lantern-42",
            "password2": "violet-harbour-lantern-42",
            "age": "30",
            "gender": "Male",
            "employment_status": "Student",
            "occupation": "Tech",
            "education": "Diploma",
            "household_size": "1",
            "has_children": "0",
            "monthly_income_sgd": "900",
        },
    )
    account = LoyaltyAccount.objects.get(user__email="new@example.test")
    assert account.balance == 100 and account.tier.name == "Bronze"
    assert list(account.transactions.values_list("kind", "reason")) == [("bonus", "Welcome bonus")]


def test_earning_excludes_tax_shipping_and_discounts(customer, lamp):
    Coupon.objects.create(code="TEN", kind="fixed", value=Decimal("10"))
    cart = DbCart(customer)
    cart.set_item(variant(lamp).pk, 1, lamp.price)
    cart.set_coupon_codes(["TEN"])
    order = place_order(
        user=customer,
        cart=cart,
        idempotency_key="k",
        address=ADDRESS,
        shipping_method="express",
        payment_method=VISA,
    ).order
    assert order.total == Decimal("50.49")  # 45.50 - 10 + 14.99 express
    earn = LoyaltyTransaction.objects.get(kind="earn")
    assert earn.points == 35 and earn.order == order  # floor(35.50) × 1.0
    assert balance(customer) == 135 == ledger_sum(customer)
    assert Notification.objects.filter(user=customer, title="You earned 35 points").exists()


def test_an_order_earns_once_and_the_ledger_refuses_a_second_earn(customer, lamp):
    order = buy(customer, lamp, key="once")
    earned = balance(customer)
    # The payment confirmed again (a webhook after the shopper's return): nothing more.
    assert services.earn_for_order(order=order) is None
    assert balance(customer) == earned == ledger_sum(customer)
    assert LoyaltyTransaction.objects.filter(kind="earn", order=order).count() == 1
    # Whatever writes to the ledger, the database holds an order to one earn.
    account = LoyaltyAccount.objects.get(user=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltyTransaction.objects.create(
            account=account, kind="earn", points=5, balance_after=earned + 5, order=order
        )


def test_tier_goes_up_with_a_notification_and_multiplies_later_earnings(customer):
    big = ProductFactory(name="Sofa", price=Decimal("999.00"), stock_quantity=5)
    buy(customer, big, key="a")
    account = LoyaltyAccount.objects.get(user=customer)
    assert account.qualifying_points == 999 and account.tier.name == "Bronze"
    small = ProductFactory(name="Cushion", price=Decimal("20.00"), stock_quantity=5)
    buy(customer, small, key="b")
    account.refresh_from_db()
    assert account.tier.name == "Silver"
    assert Notification.objects.filter(user=customer, title="Welcome to Silver!").exists()
    buy(customer, small, key="c")
    assert LoyaltyTransaction.objects.filter(kind="earn").order_by("-pk").first().points == 22  # 20 × 1.10


def test_points_are_taken_only_when_the_order_is_placed(client, customer, lamp):
    services.adjust(user=customer, points=500, actor=StaffFactory(), reason="Goodwill")  # 100 + 500
    DbCart(customer).set_item(variant(lamp).pk, 1, lamp.price)
    response = client.post(
        "/checkout/cart/loyalty/points/", {"points": "500"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["points_applied"] == 500 and data["points_discount"] == "5.00"
    assert data["total"] == "46.49"  # 45.50 + 5.99 - 5.00
    assert balance(customer) == 600  # nothing spent yet
    order = place_order(
        user=customer,
        cart=DbCart(customer),
        idempotency_key="k",
        address=ADDRESS,
        shipping_method="standard",
        payment_method=VISA,
    ).order
    assert (order.points_redeemed, order.points_discount, order.total) == (
        500,
        Decimal("5.00"),
        Decimal("46.49"),
    )
    redeem = LoyaltyTransaction.objects.get(kind="redeem")
    assert redeem.points == -500 and redeem.order == order
    # earned on the merchandise (45.50), not reduced by the points
    assert balance(customer) == 600 - 500 + 45 == ledger_sum(customer)


@pytest.mark.parametrize(
    "points,message",
    [
        ("-100", "positive number"),
        ("abc", "whole number"),
        ("", "whole number"),
        ("150", "multiples of 100"),
        ("900", "you cannot use 900"),
    ],
)
def test_bad_point_amounts_answer_400_with_a_message(client, customer, lamp, points, message):
    DbCart(customer).set_item(variant(lamp).pk, 1, lamp.price)
    response = client.post(
        "/checkout/cart/loyalty/points/", {"points": points}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert message in response.json()["message"] and response.json()["ok"] is False
    htmx = client.post("/checkout/cart/loyalty/points/", {"points": points}, HTTP_HX_REQUEST="true")
    assert (
        htmx.status_code == 400 and message in htmx.content.decode() and "<html" not in htmx.content.decode()
    )
    assert DbCart(customer).discount() is None


def test_points_cannot_exceed_the_order_total(client, customer):
    cheap = ProductFactory(name="Pen", price=Decimal("2.00"), stock_quantity=5)
    services.adjust(user=customer, points=5000, actor=None, reason="test")
    DbCart(customer).set_item(variant(cheap).pk, 1, cheap.price)
    data = client.post(
        "/checkout/cart/loyalty/points/", {"points": "5000"}, HTTP_ACCEPT="application/json"
    ).json()
    assert data["points_applied"] == 700  # 2.00 + 5.99 shipping = 7.99: 7 whole dollars
    assert data["total"] == "0.99"


def test_rewards_endpoint_and_remove(client, customer, lamp):
    gold = LoyaltyTier.objects.get(name="Gold")
    five = LoyaltyReward.objects.create(name="S$5 off", kind="amount_off", value=Decimal("5"), point_cost=100)
    vip = LoyaltyReward.objects.create(
        name="VIP", kind="percent_off", value=Decimal("20"), point_cost=50, min_tier=gold
    )
    pricey = LoyaltyReward.objects.create(name="Big", kind="amount_off", value=Decimal("50"), point_cost=5000)
    DbCart(customer).set_item(variant(lamp).pk, 1, lamp.price)
    ok = client.post(f"/checkout/cart/loyalty/reward/{five.pk}/", HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and ok.json()["reward_discount"] == "5.00" and ok.json()["total"] == "46.49"
    for reward, message in [(vip, "for Gold members and above"), (pricey, "needs 5000 points")]:
        bad = client.post(f"/checkout/cart/loyalty/reward/{reward.pk}/", HTTP_ACCEPT="application/json")
        assert bad.status_code == 400 and message in bad.json()["message"]
    assert (
        client.post("/checkout/cart/loyalty/reward/999999/", HTTP_ACCEPT="application/json").status_code
        == 400
    )
    removed = client.post("/checkout/cart/loyalty/remove/", HTTP_ACCEPT="application/json")
    assert removed.status_code == 200 and removed.json()["total"] == "51.49"
    # applied and placed: the reward's points are spent with the order
    client.post(f"/checkout/cart/loyalty/reward/{five.pk}/", HTTP_ACCEPT="application/json")
    order = place_order(
        user=customer,
        cart=DbCart(customer),
        idempotency_key="r",
        address=ADDRESS,
        shipping_method="standard",
        payment_method=VISA,
    ).order
    assert order.discount_total == Decimal("5.00")
    assert LoyaltyTransaction.objects.get(kind="redeem").reward == five
    five.refresh_from_db()
    assert five.times_used == 1


def test_guests_cannot_use_points(client, lamp):
    client.logout()
    response = client.post("/checkout/cart/loyalty/points/", {"points": "100"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_declined_payment_gives_the_points_back(customer, lamp):
    services.adjust(user=customer, points=400, actor=None, reason="test")
    cart = DbCart(customer)
    cart.set_item(variant(lamp).pk, 1, lamp.price)
    cart.set_discount({"kind": "points", "points": 500, "reward_id": None})
    with pytest.raises(CheckoutError, match="declined"):
        place_order(
            user=customer,
            cart=cart,
            idempotency_key="d",
            address=ADDRESS,
            shipping_method="standard",
            payment_method=DECLINED,
        )
    assert balance(customer) == 500 == ledger_sum(customer)
    kinds = list(
        LoyaltyTransaction.objects.filter(account__user=customer).order_by("pk").values_list("kind", "points")
    )
    assert kinds[-2:] == [("redeem", -500), ("reverse", 500)]


def test_cancellation_reverses_earned_and_returns_spent_points(customer, lamp):
    services.adjust(user=customer, points=400, actor=None, reason="test")
    cart = DbCart(customer)
    cart.set_item(variant(lamp).pk, 2, lamp.price)  # 91.00
    cart.set_discount({"kind": "points", "points": 300, "reward_id": None})
    order = place_order(
        user=customer,
        cart=cart,
        idempotency_key="c",
        address=ADDRESS,
        shipping_method="standard",
        payment_method=VISA,
    ).order
    assert balance(customer) == 500 - 300 + 91
    orders.cancel_order(order=order)
    assert balance(customer) == 500 == ledger_sum(customer)
    assert LoyaltyAccount.objects.get(user=customer).qualifying_points == 0


def test_reversal_never_takes_the_balance_below_zero(customer, lamp):
    order = buy(customer, lamp)  # earns 45
    services.adjust(user=customer, points=-145, actor=None, reason="spent on something else")
    orders.cancel_order(order=order)
    assert balance(customer) == 0 == ledger_sum(customer)


def test_review_bonus_once_per_product(customer, lamp, settings):
    settings.REVIEWS_AUTO_APPROVE = False
    review = submit_review(user=customer, product=lamp, rating=5, title="Nice", body="Bright")
    assert not LoyaltyTransaction.objects.filter(kind="bonus", review=review).exists()
    moderate_review(review=review, status=ProductReview.Status.APPROVED)
    submit_review(user=customer, product=lamp, rating=4, title="Still nice", body="Edited")
    moderate_review(review=ProductReview.objects.get(), status=ProductReview.Status.APPROVED)
    bonuses = LoyaltyTransaction.objects.filter(kind="bonus", review__isnull=False)
    assert bonuses.count() == 1 and bonuses.get().points == 50


def test_adjustments_need_a_reason_and_cannot_overdraw(customer):
    staff = StaffFactory()
    with pytest.raises(LoyaltyError, match="needs a reason"):
        services.adjust(user=customer, points=10, actor=staff, reason=" ")
    with pytest.raises(LoyaltyError, match="You have 100 points"):
        services.adjust(user=customer, points=-101, actor=staff, reason="too much")
    tx = services.adjust(user=customer, points=-40, actor=staff, reason="Correction")
    assert (tx.kind, tx.actor, tx.balance_after) == ("adjust", staff, 60)


def test_expiry_after_12_months_with_a_warning_30_days_ahead(customer, django_capture_on_commit_callbacks):
    account = LoyaltyAccount.objects.get(user=customer)
    now = timezone.now()
    LoyaltyAccount.objects.filter(pk=account.pk).update(last_activity_at=now - timedelta(days=340))
    assert services.expire_points(now) == {"expired": 0, "warned": 1}
    assert services.expire_points(now) == {"expired": 0, "warned": 0}  # warned once
    assert (
        Notification.objects.filter(user=customer, title__startswith="Your 100 points expire on").count() == 1
    )
    later = now + timedelta(days=30)
    assert services.expire_points(later) == {"expired": 1, "warned": 0}
    assert services.expire_points(later) == {"expired": 0, "warned": 0}  # safe to run twice
    assert balance(customer) == 0 == ledger_sum(customer)
    assert LoyaltyTransaction.objects.filter(kind="expire").get().points == -100


def test_expire_points_command(customer):
    from django.core.management import call_command

    LoyaltyAccount.objects.filter(user=customer).update(last_activity_at=timezone.now() - timedelta(days=400))
    call_command("expire_points")
    assert balance(customer) == 0


def test_loyalty_page(client, customer, lamp):
    order = buy(customer, lamp)
    body = client.get("/loyalty/").content.decode()
    assert 'id="loyalty-balance">145<' in body and "Bronze" in body
    assert "955 points to Silver" in body  # bonuses do not count toward tiers, purchases do
    assert f'href="{order.get_absolute_url()}"' in body  # the order behind the line
    assert "Welcome bonus" in body


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(min_value=1, max_value=400)),
        st.tuples(st.just("redeem"), st.integers(min_value=1, max_value=12).map(lambda d: d * 100)),
        st.tuples(st.just("adjust"), st.integers(min_value=-300, max_value=300).filter(bool)),
        st.tuples(st.just("cancel"), st.just(0)),
        st.tuples(st.just("expire"), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_balance_always_equals_the_ledger_and_never_goes_negative(operations):
    user = CustomerFactory()
    services.open_account(user)
    placed = []
    for i, (op, amount) in enumerate(operations):
        try:
            if op == "earn":
                product = ProductFactory(price=Decimal(amount), stock_quantity=5)
                placed.append(buy(user, product, key=f"e{i}"))
            elif op == "redeem":
                product = ProductFactory(price=Decimal("30.00"), stock_quantity=5)
                cart = DbCart(user)
                cart.set_item(variant(product).pk, 1, product.price)
                cart.set_discount({"kind": "points", "points": amount, "reward_id": None})
                placed.append(
                    place_order(
                        user=user,
                        cart=cart,
                        idempotency_key=f"r{i}",
                        address=ADDRESS,
                        shipping_method="standard",
                        payment_method=VISA,
                    ).order
                )
            elif op == "adjust":
                services.adjust(user=user, points=amount, actor=None, reason="property test")
            elif op == "cancel" and placed:
                orders.cancel_order(order=placed.pop(0))
            elif op == "expire":
                LoyaltyAccount.objects.filter(user=user).update(
                    last_activity_at=timezone.now() - timedelta(days=400)
                )
                services.expire_points()
        except (LoyaltyError, CheckoutError):
            pass  # refused operations change nothing
        account = LoyaltyAccount.objects.get(user=user)
        assert account.balance == ledger_sum(user)
        assert account.balance >= 0
        assert all(t.balance_after >= 0 for t in LoyaltyTransaction.objects.filter(account=account))


def test_the_cart_shows_the_rewards_as_they_are_now_though_they_are_cached(
    client, customer, lamp, monkeypatch
):
    """#23: the rewards in the cart's loyalty box come from the cache, which any saved or
    deleted reward or tier drops: what staff change shows on the customer's next view."""
    DbCart(customer).set_item(variant(lamp).pk, 1, lamp.price)

    def shown():
        box = (
            client.get("/checkout/cart/").content.decode().split('id="loyalty-box"')[1].split("</section>")[0]
        )
        return [name for name in ("S$5 off", "Members tenner", "Gold only") if name in box]

    five = services.create_reward(
        data={"name": "S$5 off", "kind": "amount_off", "value": Decimal("5"), "point_cost": 100}, actor=None
    )
    assert shown() == ["S$5 off"]
    gold = LoyaltyTier.objects.get(name="Gold")
    gold_only = LoyaltyReward.objects.create(
        name="Gold only", kind="amount_off", value=Decimal("9"), point_cost=10, min_tier=gold
    )
    assert shown() == ["S$5 off"]  # for Gold members and above
    services.update_tier(tier=gold, threshold=0, multiplier=gold.multiplier, perks=gold.perks, actor=None)
    assert shown() == ["S$5 off", "Gold only"]  # the customer's tier now starts where Gold does
    five.name = "Members tenner"
    five.save()
    assert shown() == ["Members tenner", "Gold only"]
    gold_only.delete()
    assert shown() == ["Members tenner"]
    # Its window closes later, with no write then: the cached rewards are filtered by the time
    # of each view.
    five.ends_at = timezone.now() + timedelta(hours=1)
    five.save()
    assert shown() == ["Members tenner"]
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr("auroramart.loyalty.selectors.timezone.now", lambda: later)
    assert shown() == []


def test_the_loyalty_box_is_held_for_what_it_shows_and_each_customer_spends_with_their_own_token(lamp):
    """#23: customers whose loyalty box shows the same (balance, tier, choice, rewards) share
    one rendering of it, each with their own CSRF token: each can spend their points from it.
    A box showing another balance or a chosen discount is never served from another's."""
    import re

    from django.test import Client
    from django.urls import reverse

    spend = reverse("loyalty:apply_points")
    clients, users = [], []
    for email in ("ana@example.test", "ben@example.test", "cho@example.test"):
        user = CustomerFactory(email=email)
        services.open_account(user)
        services.adjust(user=user, points=500 - balance(user), actor=None, reason="test")
        DbCart(user).set_item(variant(lamp).pk, 1, lamp.price)
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        clients.append(client)
        users.append(user)
    services.adjust(user=users[2], points=100, actor=None, reason="test")  # Cho has 600

    def box(client):
        html = client.get("/checkout/cart/").content.decode()
        return html.split('id="loyalty-box"')[1].split("</section>")[0]

    pages = [c.get("/checkout/cart/") for c in clients]
    rendered = ["loyalty/_cart_box.html" in [t.name for t in page.templates] for page in pages]
    assert rendered == [True, False, True]  # Ben's box is Ana's rendering; Cho's shows another balance
    boxes = [box(c) for c in clients]
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', b).group(1) for b in boxes]
    assert len(set(tokens)) == 3 and "__AURORAMART_CSRF__" not in "".join(boxes)
    assert [re.search(r'id="loyalty-balance">(\d+)<', b).group(1) for b in boxes] == ["500", "500", "600"]

    ana, ben, _ = clients
    answer = ben.post(spend, {"points": "200"}, HTTP_X_CSRFTOKEN=tokens[1], HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert 'value="200"' in box(ben) and "Remove the loyalty discount" in box(ben)
    assert "Remove the loyalty discount" not in box(ana) and 'value="200"' not in box(ana)
    assert ana.post(spend, {"points": "300"}, HTTP_X_CSRFTOKEN=tokens[0]).status_code in (
        200,
        302,
    )
    assert 'value="300"' in box(ana) and 'value="200"' in box(ben)
