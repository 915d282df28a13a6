"""Historical demo orders, spread over the past year, whose baskets carry real
co-purchase structure: some products are planted as pairs that tend to be
bought together, and customers buy mostly from the categories they prefer.
Deterministic for a seed; bulk-inserted so it scales to a million order lines.
"""

import random
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from auroramart.accounts.models import CustomerProfile, User
from auroramart.catalog.cache import bump_catalog_version
from auroramart.catalog.models import Product, ProductVariant
from auroramart.core.money import quantize
from auroramart.demo.accounts import DEMO_CUSTOMER_EMAIL
from auroramart.inventory.models import StockMovement
from auroramart.orders.documents import number_all
from auroramart.orders.models import Order, OrderItem, OrderStatusChange
from auroramart.payments.models import Payment, TestGatewayCharge
from auroramart.promotions.models import Coupon, CouponRedemption
from auroramart.promotions.services import coupon_discount
from auroramart.shipping.selectors import Destination, quotes
from auroramart.tax.selectors import home_rate, tax_on

# Subcategories whose products complement each other: a planted pair joins a
# product of the first with one of the second.
COMPLEMENTS = [
    ("Smartphones", "Headphones"),
    ("Laptops", "Monitors"),
    ("Cameras", "Printers"),
    ("Tablets", "Smart Home"),
    ("Cookware", "Small Appliances"),
    ("Bedding", "Home Decor"),
    ("Skincare", "Makeup"),
    ("Hair Care", "Grooming Tools"),
    ("Fitness Equipment", "Yoga & Wellness"),
    ("Camping & Hiking", "Cycling"),
    ("Fiction", "Comics & Manga"),
    ("Children", "Building Sets"),
    ("Board Games", "Puzzles"),
    ("Beverages", "Snacks"),
    ("Breakfast", "Health Foods"),
    ("Dog", "Accessories"),
    ("Cat", "Small Pets"),
    ("Car Care", "Interior Accessories"),
    ("Supplements", "First Aid"),
    ("Dresses", "Handbags"),
]
PAIRS_PER_COMPLEMENT = 2
PAIR_BASKET_SHARE = 0.4


def planted_pairs(seed: int) -> list[tuple[int, int]]:
    """The product pairs the demo data plants, as (product id, product id); same seed, same pairs."""
    rng = random.Random(f"pairs:{seed}")
    by_sub: dict[str, list[int]] = defaultdict(list)
    rows = Product.objects.filter(is_active=True, stock_quantity__gt=0).order_by("sku")
    for pk, sub in rows.values_list("pk", "subcategory__name"):
        by_sub[sub].append(pk)
    pairs, used = [], set()
    for left, right in COMPLEMENTS:
        lefts = [p for p in by_sub.get(left, []) if p not in used]
        rights = [p for p in by_sub.get(right, []) if p not in used]
        for _ in range(PAIRS_PER_COMPLEMENT):
            if not lefts or not rights:
                break
            a = lefts.pop(rng.randrange(len(lefts)))
            b = rights.pop(rng.randrange(len(rights)))
            used |= {a, b}
            pairs.append((a, b))
    return pairs


def _status_for(rng: random.Random, age_days: int) -> str:
    S = Order.Status
    if age_days < 2:
        return rng.choice([S.PAID, S.PAID, S.PROCESSING])
    if age_days < 6:
        return rng.choice([S.PROCESSING, S.SHIPPED, S.SHIPPED])
    roll = rng.random()
    if roll < 0.04:
        return S.CANCELLED
    if roll < 0.06 and age_days > 20:
        return S.REFUNDED
    return S.DELIVERED


def _status_time(order: Order, status: str):
    """When a sample order reached `status`: its own timestamps, and plausible gaps between them."""
    S = Order.Status
    delivered = order.delivered_at or order.placed_at
    return {
        S.PENDING_PAYMENT: order.placed_at,
        S.PAID: order.paid_at,
        S.PROCESSING: order.paid_at + timedelta(hours=5),
        S.SHIPPED: order.shipped_at,
        S.DELIVERED: order.delivered_at,
        S.CANCELLED: order.cancelled_at,
        S.RETURN_REQUESTED: delivered + timedelta(days=2),
        S.RETURNED: delivered + timedelta(days=6),
        S.REFUNDED: delivered + timedelta(days=7),
    }[status]


PATHS = {
    "paid": ["pending_payment", "paid"],
    "processing": ["pending_payment", "paid", "processing"],
    "shipped": ["pending_payment", "paid", "processing", "shipped"],
    "delivered": ["pending_payment", "paid", "processing", "shipped", "delivered"],
    "cancelled": ["pending_payment", "paid", "cancelled"],
    "refunded": [
        "pending_payment",
        "paid",
        "processing",
        "shipped",
        "delivered",
        "return_requested",
        "returned",
        "refunded",
    ],
}


def generate_orders(*, seed: int, count: int, progress=None, batch: int = 2000, campaign=None) -> dict:
    """Create `count` orders for the customers that have profiles; returns counts.

    With a demo `campaign` (demo/campaigns.py), orders in its window lean towards its
    target group and some use its coupon, so its page has redemptions and a lift to show.
    """
    progress = progress or (lambda it, **_: it)
    rng = random.Random(f"orders:{seed}")
    coupon_rng = random.Random(f"coupons:{seed}")  # its own stream: baskets stay as they were
    coupons = {c.code: c for c in Coupon.objects.filter(code__in=["WELCOME10", "SAVE5"])}
    # The demo customer keeps WELCOME10 unused, so a visitor signed in as them can try it.
    welcomed = set(User.objects.filter(email=DEMO_CUSTOMER_EMAIL).values_list("pk", flat=True))
    redemptions: list[tuple[Order, Coupon, Decimal]] = []
    customers = list(CustomerProfile.objects.order_by("user_id").values_list("user_id", "user__date_joined"))
    emails = dict(User.objects.filter(profile__isnull=False).values_list("pk", "email"))
    home, gst = Destination("SG"), home_rate()
    reach = _CampaignReach(campaign, dict(customers), coupon_rng)
    preferred = dict(
        CustomerProfile.preferred_categories.through.objects.values_list(
            "customerprofile__user_id", "category_id"
        )
    )
    products = {
        p["pk"]: p
        for p in Product.objects.filter(is_active=True).values(
            "pk", "sku", "name", "price", "category_id", "sold_count"
        )
    }
    if not customers or not products:
        return {"orders": 0, "lines": 0}
    # Baskets are drawn per product (their co-purchase structure is what recommendations learn);
    # each line is then one of the product's variants, from a stream of its own.
    variant_rng = random.Random(f"variants:{seed}")
    variants_of: dict[int, list[dict]] = defaultdict(list)
    for v in (
        ProductVariant.objects.filter(is_active=True, product_id__in=list(products))
        .order_by("product_id", "position", "pk")
        .values("pk", "product_id", "sku", "name", "price")
    ):
        variants_of[v["product_id"]].append(v)
    products = {pk: p for pk, p in products.items() if variants_of[pk]}
    by_category: dict[int, list[int]] = defaultdict(list)
    for pk, p in products.items():
        by_category[p["category_id"]].append(pk)
    ids = sorted(products)
    weights = [1 + products[pk]["sold_count"] for pk in ids]  # popular products sell more
    pairs = planted_pairs(seed)
    now = timezone.now().replace(microsecond=0)

    sold: Counter = Counter()
    totals = {"orders": 0, "lines": 0}
    for start in progress(range(0, count, batch), desc="orders", unit="batch"):
        orders, baskets = [], []
        for i in range(start, min(start + batch, count)):
            user_id, joined = rng.choice(customers)
            basket: dict[int, int] = {}
            if pairs and rng.random() < PAIR_BASKET_SHARE:
                a, b = rng.choice(pairs)
                basket[a] = basket[b] = 1
            favourite = by_category.get(preferred.get(user_id), ids)
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3]) - (1 if basket else 0)):
                pk = rng.choice(favourite) if rng.random() < 0.6 else rng.choices(ids, weights)[0]
                basket[pk] = basket.get(pk, 0) + (1 if rng.random() < 0.85 else 2)
            if not basket:
                basket[rng.choices(ids, weights)[0]] = 1
            oldest = max(1, min(365, (now - joined).days))
            age = int(oldest * rng.random() ** 1.3)
            placed = now - timedelta(days=age, minutes=rng.randint(0, 1439))
            status = _status_for(rng, age)
            user_id = reach.buyer(user_id, placed)
            chosen = {pk: variant_rng.choice(variants_of[pk]) for pk in basket}
            subtotal = quantize(sum(chosen[pk]["price"] * q for pk, q in basket.items()))
            coupon = reach.coupon(user_id, placed, status) or _sample_coupon(
                coupon_rng, coupons, status, subtotal, user_id, welcomed
            )
            discount = _coupon_discount(coupon, subtotal)
            # Free delivery is judged on the merchandise after discounts, as at checkout.
            free = coupon is not None and coupon.kind == Coupon.Kind.FREE_SHIPPING
            offered = quotes(home, merchandise=subtotal - discount, grams=0, free=free)
            standard = next(q for q in offered if q.code == "standard")
            shipping = standard.fee
            total = subtotal - discount + shipping
            order = Order(
                number=f"AM{placed:%y%m%d}-S{i:06X}",
                user_id=user_id,
                email=emails.get(user_id, ""),
                idempotency_key=f"sample-{seed}-{i}",
                status=status,
                ship_name="Demo Customer",
                ship_phone="+65 9000 0000",
                ship_line1=f"{rng.randint(1, 999)} Orchard Road",
                ship_postal_code=f"{rng.randint(10000, 829999):06d}",
                shipping_method="standard",
                shipping_name=standard.name,
                shipping_estimate=standard.estimate,
                subtotal=subtotal,
                discount_total=discount,
                shipping_fee=shipping,
                total=total,
                gst_included=tax_on(total, gst),
                placed_at=placed,
                paid_at=placed + timedelta(seconds=30),
                shipped_at=placed + timedelta(days=2)
                if status in ("shipped", "delivered", "refunded")
                else None,
                delivered_at=placed + timedelta(days=4) if status in ("delivered", "refunded") else None,
                cancelled_at=placed + timedelta(hours=3) if status == "cancelled" else None,
                # Sample orders follow the rules of real ones: a cancelled order was refunded
                # in full when it was cancelled, a refunded one after its return (check_payments).
                refunded_total=total if status in ("cancelled", "refunded") else Decimal("0"),
            )
            orders.append(order)
            baskets.append((basket, chosen))
            if coupon is not None:
                redemptions.append((order, coupon, discount))
        with transaction.atomic():
            Order.objects.bulk_create(orders, batch_size=batch)
            saved = dict(
                Order.objects.filter(number__in=[o.number for o in orders]).values_list("number", "pk")
            )
            items, changes, payments, charges = [], [], [], []
            for order, (basket, chosen) in zip(orders, baskets, strict=True):
                order.pk = saved[order.number]
                for pk, quantity in basket.items():
                    p, v = products[pk], chosen[pk]
                    items.append(
                        OrderItem(
                            order_id=order.pk,
                            product_id=pk,
                            variant_id=v["pk"],
                            sku=v["sku"],
                            name=p["name"],
                            variant_name=v["name"],
                            unit_price=v["price"],
                            quantity=quantity,
                            line_total=quantize(v["price"] * quantity),
                        )
                    )
                    if order.status not in ("cancelled", "refunded"):
                        sold[(pk, v["pk"])] += quantity
                path = PATHS[order.status]
                for before, after in zip(["", *path], path, strict=False):
                    changes.append(
                        OrderStatusChange(
                            order_id=order.pk,
                            from_status=before,
                            to_status=after,
                            created_at=min(now, _status_time(order, after)),
                        )
                    )
                payments.append(
                    Payment(
                        order_id=order.pk,
                        order_number=order.number,
                        user_id=order.user_id,
                        amount=order.total,
                        refunded_amount=order.refunded_total,
                        status="refunded" if order.refunded_total else "succeeded",
                        gateway="test",
                        gateway_reference=f"ch_sample_{order.pk}",
                        brand="Visa",
                        last4="4242",
                        created_at=order.paid_at,
                    )
                )
                # The test gateway's own record of the charge, so staff can refund a sample order.
                charges.append(
                    TestGatewayCharge(
                        reference=f"ch_sample_{order.pk}",
                        idempotency_key=f"sample-{order.number}",
                        amount=order.total,
                        refunded=order.refunded_total,
                        brand="Visa",
                        last4="4242",
                    )
                )
            OrderItem.objects.bulk_create(items, batch_size=5000)
            OrderStatusChange.objects.bulk_create(changes, batch_size=5000)
            Payment.objects.bulk_create(payments, batch_size=5000)
            # Books left by an earlier, since deleted run of the same seed are replaced.
            TestGatewayCharge.objects.filter(
                idempotency_key__in=[c.idempotency_key for c in charges]
            ).delete()
            TestGatewayCharge.objects.bulk_create(charges, batch_size=5000)
        totals["orders"] += len(orders)
        totals["lines"] += len(items)
    _book_sales(sold, now)
    _book_redemptions(redemptions)
    number_all()  # the history's invoices, numbered in the order they were paid
    return totals


class _CampaignReach:
    """What a demo campaign did to the orders placed while it ran: some orders that a
    holdout member would have placed came from a target member instead (the campaign
    brought them back), and target members used its coupon."""

    BROUGHT_BACK = 0.6  # of holdout members' orders in the window, moved to a target member
    REDEEMED = 0.5  # of target members' orders in the window that used the coupon (once each)

    def __init__(self, campaign, joined: dict, rng):
        self.campaign, self.joined, self.rng, self.used = campaign, joined, rng, set()
        if campaign is None:
            return
        groups = dict(campaign.members.values_list("user_id", "group"))
        self.target = sorted(u for u, g in groups.items() if g == "target")
        self.holdout = {u for u, g in groups.items() if g == "holdout"}

    def _running(self, placed) -> bool:
        return self.campaign is not None and self.campaign.starts_at <= placed < self.campaign.ends_at

    def buyer(self, user_id: int, placed) -> int:
        running = self._running(placed) and user_id in self.holdout and self.target
        if running and self.rng.random() < self.BROUGHT_BACK:
            other = self.rng.choice(self.target)
            if self.joined.get(other, placed) <= placed:
                return other
        return user_id

    def coupon(self, user_id: int, placed, status: str):
        if not self._running(placed) or user_id in self.holdout or user_id in self.used:
            return None
        if status in ("cancelled", "refunded") or self.rng.random() >= self.REDEEMED:
            return None
        self.used.add(user_id)
        return self.campaign.coupon


WELCOME_SHARE = 0.08  # of orders by customers who have not used WELCOME10 yet
SAVE5_SHARE = 0.08  # of orders of S$50 or more


def _sample_coupon(rng, coupons: dict, status: str, subtotal: Decimal, user_id: int, welcomed: set):
    """A demo coupon for this order, or None. Cancelled and refunded orders gave theirs back."""
    if not coupons or status in ("cancelled", "refunded", "returned"):
        return None
    roll = rng.random()
    if "WELCOME10" in coupons and user_id not in welcomed and roll < WELCOME_SHARE:
        welcomed.add(user_id)
        return coupons["WELCOME10"]
    if "SAVE5" in coupons and subtotal >= coupons["SAVE5"].min_spend and roll > 1 - SAVE5_SHARE:
        return coupons["SAVE5"]
    return None


def _coupon_discount(coupon, subtotal: Decimal) -> Decimal:
    return Decimal("0.00") if coupon is None else coupon_discount(coupon, subtotal)


def _book_redemptions(redemptions: list) -> None:
    """The coupon uses of the sample orders, and each coupon's count of uses."""
    if not redemptions:
        return
    with transaction.atomic():
        CouponRedemption.objects.bulk_create(
            [
                CouponRedemption(coupon=coupon, order_id=order.pk, user_id=order.user_id, amount=amount)
                for order, coupon, amount in redemptions
            ],
            batch_size=5000,
        )
        for coupon_id, uses in Counter(coupon.pk for _, coupon, _ in redemptions).items():
            Coupon.objects.filter(pk=coupon_id).update(times_used=F("times_used") + uses)


def _book_sales(sold: Counter, now) -> None:
    """Stock for what was sold arrived before it was sold: a receipt and a sale per variant,
    so stock and its ledger stay equal and today's stock is as generated. `sold` counts units
    by (product id, variant id)."""
    if not sold:
        return
    with transaction.atomic():
        current = dict(
            ProductVariant.objects.filter(pk__in=[v for _, v in sold]).values_list("pk", "stock_quantity")
        )
        movements = []
        for (pk, vid), quantity in sold.items():
            movements.append(
                StockMovement(
                    product_id=pk,
                    variant_id=vid,
                    kind="receipt",
                    quantity=quantity,
                    balance_after=current[vid] + quantity,
                    reason="Restock for historical orders",
                )
            )
            movements.append(
                StockMovement(
                    product_id=pk,
                    variant_id=vid,
                    kind="sale",
                    quantity=-quantity,
                    balance_after=current[vid],
                    reason="Historical orders",
                )
            )
        StockMovement.objects.bulk_create(movements, batch_size=5000)
        transaction.on_commit(bump_catalog_version)  # best sellers have changed
        by_product: Counter = Counter()
        for (pk, _vid), quantity in sold.items():
            by_product[pk] += quantity
        items = list(by_product.items())
        for start in range(0, len(items), 1000):
            chunk = items[start : start + 1000]
            Product.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
                sold_count=Case(*[When(pk=pk, then=Value(q)) for pk, q in chunk], output_field=IntegerField())
            )
