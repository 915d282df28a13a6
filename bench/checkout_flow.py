"""The checkout as a flow under load: customers sign in, add to the cart, open
the checkout and place orders with the test card, all at once, while attackers
use the API the way the hardening issue's attack did: cancellers replaying an
Idempotency-Key and cancelling the order while its card is charged, one cart
checked out under several keys at once, and declined cards sent several times
with one key. Part of `make bench` (bench/run.py); reports orders per second,
errors, charges and refunds, and the invariants: no charge without a live order
or a refund, stock equals its ledger, points balances equal their ledger."""

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
HOT_STOCK = 25

SETUP = """
import json
from auroramart.catalog.models import ProductVariant
from auroramart.inventory.services import adjust_stock
variants = list(ProductVariant.objects.filter(is_active=True, product__is_active=True, stock_quantity__gte=200).order_by("pk")[:21])
hot = variants[0]
adjust_stock(variant=hot, quantity=HOT_STOCK - hot.stock_quantity, reason="bench: a scarce variant")
from django.utils import timezone
print(json.dumps({"hot": hot.pk, "others": [v.pk for v in variants[1:]], "since": timezone.now().isoformat()}))
""".replace("HOT_STOCK", str(HOT_STOCK))

CHECK = """
import json
from django.db.models import Sum
from auroramart.catalog.models import ProductVariant
from auroramart.inventory.selectors import ledger_mismatches
from auroramart.loyalty.selectors import balance_mismatches
from auroramart.orders.models import OrderItem
from auroramart.orders.selectors import payment_mismatches
from auroramart.payments.models import TestGatewayCharge
from datetime import datetime
hot = HOT_ID
since = datetime.fromisoformat("SINCE")  # this run's orders: a reused database holds earlier runs'
sold = OrderItem.objects.filter(variant_id=hot, order__status="paid", order__idempotency_key__startswith="bench-", order__placed_at__gte=since).aggregate(n=Sum("quantity"))["n"] or 0
charges = TestGatewayCharge.objects.exclude(idempotency_key__startswith="sample-")
print(json.dumps({"hot_sold": sold, "hot_stock": ProductVariant.objects.get(pk=hot).stock_quantity,
                  "negative_stock": ProductVariant.objects.filter(stock_quantity__lt=0).count(),
                  "charges": charges.count(),
                  "refunds": charges.filter(refunded__gt=0).count(),
                  "ledger_mismatches": len(ledger_mismatches()),
                  "payment_mismatches": payment_mismatches(),
                  "points_mismatches": len(balance_mismatches())}))
"""
API_CARD = "pm_card_visa"
DECLINED_CARD = "pm_card_chargeDeclined"

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')
TOTAL = re.compile(r'name="expected_total" value="([0-9.]+)"')
ADDRESS = re.compile(r'name="address" value="(\d+)"[^>]*checked')


def shell(env, code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class Window:
    """The measured window opens once every customer and attacker has signed in: a sign-in
    hashes the password with Argon2 (about a quarter of a second of CPU, on purpose), and
    sixteen of them at the start are not what orders per second measures."""

    def __init__(self, parties: int, seconds: float, cpu_seconds: Callable[[], float]):
        self.barrier = asyncio.Barrier(parties + 1)
        self.opened = asyncio.Event()
        self.seconds, self.cpu_seconds = seconds, cpu_seconds
        self.deadline = self.began = self.cpu_at_start = 0.0

    async def signed_in(self) -> None:
        """A participant is ready (or gave up); wait for the window to open."""
        await self.barrier.wait()
        await self.opened.wait()

    async def open(self) -> None:
        await self.barrier.wait()
        self.cpu_at_start = self.cpu_seconds()
        self.began = time.perf_counter()
        self.deadline = self.began + self.seconds
        self.opened.set()


async def customer_loop(base: str, email: str, setup: dict, window: Window, stats: dict, index: int):
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=60)) as session:
        async with session.get(f"{base}/login/") as r:
            token = TOKEN.search(await r.text()).group(1)
        async with session.post(
            f"{base}/login/",
            data={"username": email, "password": "auroramart-demo", "csrfmiddlewaretoken": token},
            allow_redirects=False,
        ) as r:
            signed_in = r.status == 302
        await window.signed_in()
        if not signed_in:
            stats["errors"] += 1
            return
        n = 0
        while time.perf_counter() < window.deadline:
            n += 1
            started = time.perf_counter()
            product = setup["hot"] if n % 3 == 0 else setup["others"][(index + n) % len(setup["others"])]
            csrf = {c.key: c.value for c in jar}["csrftoken"]
            headers = {"X-CSRFToken": csrf, "HX-Request": "true"}
            async with session.post(
                f"{base}/checkout/cart/add/", data={"variant_id": product, "quantity": 1}, headers=headers
            ) as r:
                text = await r.text()
                if r.status != 200:
                    stats["errors"] += 1
                    continue
                if "out of stock" in text or "left in stock" in text:
                    stats["refused"] += 1
                    continue
            async with session.get(f"{base}/checkout/checkout/") as r:
                page = await r.text()
                if r.status != 200:
                    stats["errors"] += 1
                    continue
            form = {
                "csrfmiddlewaretoken": TOKEN.search(page).group(1),
                "idempotency_key": "bench-" + KEY.search(page).group(1)[:40],
                "expected_total": TOTAL.search(page).group(1),
                "address": ADDRESS.search(page).group(1),
                "shipping_method": "standard",
                "card": "new",
                "payment_method": "pm_card_visa",  # what the browser's tokenisation step posts
            }
            async with session.post(f"{base}/checkout/checkout/", data=form, allow_redirects=False) as r:
                body = await r.text()
                if r.status == 302:
                    stats["orders"] += 1
                    stats["latencies"].append((time.perf_counter() - started) * 1000)
                elif r.status == 400 and ("out of stock" in body.lower() or "left" in body):
                    stats["refused"] += 1
                    # empty the cart so the next round starts clean
                    async with session.post(f"{base}/checkout/cart/remove/{setup['hot']}/", headers=headers):
                        pass
                else:
                    stats["errors"] += 1


async def attacker_loop(base: str, email: str, kind: str, setup: dict, window: Window, attacks: dict):
    """One attacker, through the API, as the hardening issue's attack did it, over and over."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        async with session.post(
            f"{base}/api/v1/auth/token", json={"email": email, "password": "auroramart-demo"}
        ) as r:
            token = (await r.json())["token"] if r.status == 201 else None
        await window.signed_in()
        if token is None:
            attacks["errors"] += 1
            return
        auth = {"Authorization": f"Bearer {token}"}
        n = 0
        while time.perf_counter() < window.deadline:
            n += 1
            product = setup["others"][n % len(setup["others"])]
            async with session.post(
                f"{base}/api/v1/cart/items", json={"variant_id": product, "quantity": 1}, headers=auth
            ) as r:
                if r.status != 200:
                    attacks["errors"] += 1
                    continue
            key = f"attack-{kind}-{email}-{n}"

            async def checkout(key=key, card=API_CARD):
                async with session.post(
                    f"{base}/api/v1/checkout",
                    json={"payment_method": card},
                    headers={**auth, "Idempotency-Key": key},
                ) as response:
                    await response.read()
                    return response.status

            async def cancel_everything():
                codes = []
                for _ in range(5):
                    async with session.get(f"{base}/api/v1/orders?page_size=5", headers=auth) as r:
                        numbers = [o["number"] for o in (await r.json())["items"]] if r.status == 200 else []
                    for number in numbers:
                        async with session.post(f"{base}/api/v1/orders/{number}/cancel", headers=auth) as r:
                            codes.append(r.status)
                return codes

            if kind == "canceller":  # the key replayed while the order is cancelled
                codes = await asyncio.gather(checkout(), checkout(), cancel_everything())
            elif kind == "duplicate-cart":  # one cart, four keys at once
                codes = await asyncio.gather(*(checkout(key=f"{key}-{i}") for i in range(4)))
            else:  # a declined card, three times with one key
                codes = await asyncio.gather(*(checkout(card=DECLINED_CARD) for _ in range(3)))
                async with session.delete(f"{base}/api/v1/cart/items/{product}", headers=auth):
                    pass
            flat = [c for c in codes for c in (c if isinstance(c, list) else [c])]
            attacks["requests"] += len(flat)
            attacks["server_errors"] += sum(1 for c in flat if c >= 500)
            await asyncio.sleep(0.2)  # the API allows 20 checkouts a minute per customer


async def drive_flow(
    base: str, emails: list[str], setup: dict, seconds: float, attackers: list, cpu_seconds
) -> dict:
    stats = {"orders": 0, "refused": 0, "errors": 0, "latencies": []}
    attacks = {"requests": 0, "server_errors": 0, "errors": 0}
    window = Window(len(emails) + len(attackers), seconds, cpu_seconds)
    await asyncio.gather(
        window.open(),
        *(customer_loop(base, e, setup, window, stats, i) for i, e in enumerate(emails)),
        *(attacker_loop(base, email, kind, setup, window, attacks) for email, kind in attackers),
    )
    # Everything the server did in the window (add to cart, checkout pages, placements, the
    # attacks alongside) per order placed: an upper bound on an order's cost.
    used = cpu_seconds() - window.cpu_at_start
    stats["attacks"] = attacks
    elapsed = time.perf_counter() - window.began
    latencies = sorted(stats.pop("latencies"))

    def pct(p):
        return (
            round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1) if latencies else None
        )

    return {
        **stats,
        "seconds": round(elapsed, 1),
        "orders_per_second": round(stats["orders"] / elapsed, 2),
        "flow_p50_ms": pct(50),
        "flow_p95_ms": pct(95),
        "server_cpu_ms_per_order": round(used * 1000 / max(1, stats["orders"]), 2),
    }


ATTACKS = ("canceller", "duplicate-cart", "declined-card")


def run(env: dict, port: int, customers: int, seconds: float, cpu_seconds: Callable[[], float]) -> dict:
    """The flow against the server on `port`; `cpu_seconds` reads the server's CPU time."""
    setup = shell(env, SETUP)
    emails = [f"customer{i:03d}@example.test" for i in range(1, customers + 1)]
    attackers = [(f"customer{customers + 1 + i:03d}@example.test", kind) for i, kind in enumerate(ATTACKS)]
    result = asyncio.run(
        drive_flow(f"http://127.0.0.1:{port}", emails, setup, seconds, attackers, cpu_seconds)
    )
    check = shell(env, CHECK.replace("HOT_ID", str(setup["hot"])).replace("SINCE", setup["since"]))
    result.update(check)
    result["oversold_units"] = max(0, check["hot_sold"] - HOT_STOCK) + check["negative_stock"]
    result["hot_product_stock_at_start"] = HOT_STOCK
    return result
