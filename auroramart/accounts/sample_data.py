"""Demo customers: deterministic for a seed, with one password hash shared by all
(hashing with Argon2 once per customer would dominate the load time)."""

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .models import User

DEMO_PASSWORD = "auroramart-demo"  # noqa: S105 -- the documented demo password
DEMO_CUSTOMER_EMAIL = "customer@auroramart.test"

FIRST_NAMES = [
    "Wei Ling",
    "Jun Jie",
    "Siti",
    "Arjun",
    "Mei",
    "Daniel",
    "Nur Aisyah",
    "Ravi",
    "Hui Min",
    "Marcus",
    "Priya",
    "Kai",
    "Farah",
    "Ethan",
    "Xin Yi",
    "Hafiz",
    "Chloe",
    "Vikram",
    "Li Ting",
    "Ryan",
]
LAST_NAMES = ["Tan", "Lim", "Lee", "Ng", "Wong", "Rahman", "Kumar", "Chua", "Goh", "Ong", "Nair", "Koh"]


def generate_customers(*, seed: int, count: int) -> list[User]:
    """Create `count` customers (customer001@example.test …); existing ones are reused."""
    rng = random.Random(f"customers:{seed}")
    password = make_password(DEMO_PASSWORD)
    now = timezone.now().replace(microsecond=0)
    wanted = []
    for i in range(1, count + 1):
        wanted.append(
            User(
                email=f"customer{i:03d}@example.test",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password=password,
                date_joined=now - timedelta(days=rng.randint(30, 720)),
            )
        )
    existing = set(User.objects.filter(email__in=[u.email for u in wanted]).values_list("email", flat=True))
    User.objects.bulk_create([u for u in wanted if u.email not in existing], batch_size=1000)
    return list(User.objects.filter(email__in=[u.email for u in wanted]).order_by("email"))


def ensure_demo_customer() -> tuple[User, bool]:
    """The well-known demo customer; its password is reset to the documented one."""
    user = User.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
    created = user is None
    if created:
        user = User.objects.create_user(
            DEMO_CUSTOMER_EMAIL, DEMO_PASSWORD, first_name="Demo", last_name="Customer"
        )
    elif not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user, created
