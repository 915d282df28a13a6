"""Demo customers: deterministic for a seed, with demographics drawn from the
distribution of the AuroraMart customer file (b2c_customers_100.csv), a declared
preferred category that depends on them the way it does in that file, addresses
and wishlists. One password hash is shared by all: hashing with Argon2 once per
customer would dominate the load time."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from auroramart.accounts.models import Address, CustomerProfile, User, WishlistItem
from auroramart.accounts.services import Demographics, register_customer
from auroramart.catalog.models import Category, Product

DEMO_PASSWORD = "auroramart-demo"  # noqa: S105 -- the documented demo password
DEMO_CUSTOMER_EMAIL = "customer@auroramart.test"
DEMO_CUSTOMER_DAYS = 365  # how long the demo customer has shopped here: a year of orders and points

FIRST_NAMES = {
    "Female": [
        "Wei Ling",
        "Siti",
        "Mei",
        "Nur Aisyah",
        "Hui Min",
        "Priya",
        "Farah",
        "Xin Yi",
        "Chloe",
        "Li Ting",
    ],
    "Male": ["Jun Jie", "Arjun", "Daniel", "Ravi", "Marcus", "Kai", "Ethan", "Hafiz", "Vikram", "Ryan"],
}
LAST_NAMES = ["Tan", "Lim", "Lee", "Ng", "Wong", "Rahman", "Kumar", "Chua", "Goh", "Ong", "Nair", "Koh"]
STREETS = [
    "Orchard Road",
    "Tampines Ave 4",
    "Jurong West St 91",
    "Ang Mo Kio Ave 3",
    "Bukit Timah Road",
    "Bedok North Rd",
    "Serangoon Central",
    "Clementi Ave 2",
    "Punggol Field",
    "Yishun Ring Road",
]

# Marginal distributions of the AuroraMart customer file.
GENDER = {"Male": 54, "Female": 46}
EMPLOYMENT = {"Full-time": 63, "Part-time": 15, "Student": 12, "Self-employed": 9, "Retired": 1}
OCCUPATION = {"Service": 31, "Admin": 22, "Sales": 15, "Tech": 13, "Education": 12, "Skilled Trades": 7}
EDUCATION = {"Diploma": 40, "Bachelor": 39, "Secondary": 16, "Master": 3, "Doctorate": 2}
HOUSEHOLD = {2: 42, 1: 25, 3: 12, 4: 11, 5: 10}
# In the file, fashion and beauty follow gender closely; the other categories
# are spread across both. Students and young customers lean to electronics and
# books; larger households to home and groceries.
PREFERENCE_BY_GENDER = {
    "Female": {
        "Fashion - Women": 13,
        "Beauty & Personal Care": 12,
        "Electronics": 6,
        "Home & Kitchen": 5,
        "Groceries & Gourmet": 5,
        "Books": 5,
    },
    "Male": {
        "Fashion - Men": 13,
        "Sports & Outdoors": 12,
        "Home & Kitchen": 8,
        "Electronics": 7,
        "Books": 7,
        "Groceries & Gourmet": 7,
    },
}


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def draw_demographics(rng: random.Random) -> dict:
    gender = _pick(rng, GENDER)
    employment = _pick(rng, EMPLOYMENT)
    if employment == "Student":
        age = rng.randint(18, 26)
    elif employment == "Retired":
        age = rng.randint(55, 75)
    else:
        age = max(21, min(64, int(rng.gauss(37, 10))))
    household = _pick(rng, HOUSEHOLD)
    has_children = household >= 3 and rng.random() < 0.7
    base_income = {"Student": 900, "Part-time": 2500, "Retired": 2000}.get(employment, 5500)
    education = _pick(rng, EDUCATION)
    income = base_income * rng.lognormvariate(0, 0.45) * (1.25 if education in ("Master", "Doctorate") else 1)
    weights = dict(PREFERENCE_BY_GENDER[gender])
    if age < 27:
        weights["Electronics"] = weights.get("Electronics", 0) + 8
        weights["Books"] = weights.get("Books", 0) + 4
    if household >= 4:
        weights["Home & Kitchen"] = weights.get("Home & Kitchen", 0) + 8
        weights["Groceries & Gourmet"] = weights.get("Groceries & Gourmet", 0) + 8
    return {
        "age": age,
        "gender": gender,
        "employment_status": employment,
        "occupation": _pick(rng, OCCUPATION),
        "education": education,
        "household_size": household,
        "has_children": has_children,
        "monthly_income_sgd": Decimal(f"{income:.2f}"),
        "preferred_category": _pick(rng, weights),
    }


def _address(rng: random.Random, user: User, *, default: bool, label: str) -> Address:
    return Address(
        user=user,
        label=label,
        full_name=user.get_full_name(),
        phone=f"+65 {rng.randint(8000, 9999)} {rng.randint(1000, 9999)}",
        line1=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
        line2=f"#{rng.randint(2, 30):02d}-{rng.randint(1, 200):02d}",
        postal_code=f"{rng.randint(10000, 829999):06d}",
        is_default_shipping=default,
        is_default_billing=default,
    )


@transaction.atomic
def generate_customers(*, seed: int, count: int) -> list[User]:
    """Create `count` customers (customer001@example.test …) with profiles and addresses.

    Customers that already exist are kept as they are.
    """
    rng = random.Random(f"customers:{seed}")
    password = make_password(DEMO_PASSWORD)
    now = timezone.now().replace(microsecond=0)
    categories = {c.name: c for c in Category.objects.all()}
    drafts = []
    for i in range(1, count + 1):
        demo = draw_demographics(rng)
        user = User(
            email=f"customer{i:03d}@example.test",
            first_name=rng.choice(FIRST_NAMES[demo["gender"]]),
            last_name=rng.choice(LAST_NAMES),
            password=password,
            date_joined=now - timedelta(days=rng.randint(30, 720)),
        )
        drafts.append((user, demo, rng.random() < 0.55, rng.random() < 0.3))
    existing = set(
        User.objects.filter(email__in=[u.email for u, *_ in drafts]).values_list("email", flat=True)
    )
    new = [d for d in drafts if d[0].email not in existing]
    User.objects.bulk_create([u for u, *_ in new], batch_size=1000)
    saved = {u.email: u for u in User.objects.filter(email__in=[u.email for u, *_ in new])}
    profiles, addresses, preferences = [], [], []
    for user, demo, opt_in, second_address in new:
        user = saved[user.email]
        preferred = demo.pop("preferred_category")
        profiles.append(CustomerProfile(user=user, marketing_opt_in=opt_in, **demo))
        addresses.append(_address(rng, user, default=True, label="Home"))
        if second_address:
            addresses.append(_address(rng, user, default=False, label="Office"))
        if preferred in categories:
            preferences.append((user.pk, categories[preferred].pk))
    CustomerProfile.objects.bulk_create(profiles, batch_size=1000)
    Address.objects.bulk_create(addresses, batch_size=1000)
    through = CustomerProfile.preferred_categories.through
    profile_ids = dict(
        CustomerProfile.objects.filter(user_id__in=[u for u, _ in preferences]).values_list("user_id", "pk")
    )
    through.objects.bulk_create(
        [through(customerprofile_id=profile_ids[u], category_id=c) for u, c in preferences], batch_size=1000
    )
    return list(User.objects.filter(email__in=[u.email for u, *_ in drafts]).order_by("email"))


@transaction.atomic
def generate_wishlists(*, seed: int, customers: list[User]) -> int:
    """A few products on most customers' wishlists, mostly from their preferred category."""
    rng = random.Random(f"wishlists:{seed}")
    by_category: dict[int, list[int]] = {}
    for pk, category_id in (
        Product.objects.filter(is_active=True).values_list("pk", "category_id").order_by("pk")
    ):
        by_category.setdefault(category_id, []).append(pk)
    if not by_category:
        return 0
    all_ids = [pk for ids in by_category.values() for pk in ids]
    preferred = dict(
        CustomerProfile.preferred_categories.through.objects.filter(
            customerprofile__user__in=customers
        ).values_list("customerprofile__user_id", "category_id")
    )
    items = []
    for user in customers:
        if rng.random() < 0.25:
            continue
        pool = by_category.get(preferred.get(user.pk), all_ids)
        chosen = set(rng.sample(pool, min(len(pool), rng.randint(1, 4))))
        chosen |= set(rng.sample(all_ids, rng.randint(0, 2)))
        items += [WishlistItem(user=user, product_id=pk) for pk in sorted(chosen)]
    WishlistItem.objects.bulk_create(items, batch_size=1000, ignore_conflicts=True)
    return len(items)


def ensure_demo_customer() -> tuple[User, bool]:
    """The well-known demo customer, with a profile and an address; its password is reset to the documented one."""
    user = User.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
    created = user is None
    if created:
        user = register_customer(
            email=DEMO_CUSTOMER_EMAIL,
            password=DEMO_PASSWORD,
            first_name="Demo",
            last_name="Customer",
            demographics=Demographics(
                age=29,
                gender="Female",
                employment_status="Full-time",
                occupation="Tech",
                education="Bachelor",
                household_size=2,
                has_children=False,
                monthly_income_sgd=Decimal("6200.00"),
            ),
            marketing_opt_in=True,
        )
        _address(random.Random("demo"), user, default=True, label="Home").save()
        _backdate_sign_up(user, timezone.now() - timedelta(days=DEMO_CUSTOMER_DAYS))
    elif not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user, created


def _backdate_sign_up(user: User, joined) -> None:
    """Move a demo account's sign-up (and its welcome bonus) into the past, so the orders
    generated for it spread over that time instead of all falling on today."""
    from auroramart.loyalty.models import LoyaltyTransaction

    User.objects.filter(pk=user.pk).update(date_joined=joined)
    LoyaltyTransaction.objects.filter(account__user=user, reason="Welcome bonus").update(created_at=joined)
    user.date_joined = joined
