"""The checkout as a flow under load: customers sign in, add to the cart, open
the checkout and place orders with the test card, all at once, while attackers
use the API the way the hardening issue's attack did: cancellers replaying an
Idempotency-Key and cancelling the order while its card is charged, one cart
checked out under several keys at once, and declined cards sent several times
with one key. The customers are driven by wrk (bench/checkout_flow.lua), a client in C, so
that sixteen of them do not take the CPU the server needs; the few attackers are Python.
Part of `make bench` (bench/run.py); reports orders per second,
errors, charges and refunds, and the invariants: no charge without a live order
or a refund, stock equals its ledger, points balances equal their ledger."""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import load  # bench/load.py: wrk

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


async def sign_in(base: str, email: str) -> tuple[str, str] | None:
    """A customer signed in through the login form: their Cookie header and CSRF token."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=60)) as session:
        async with session.get(f"{base}/login/") as r:
            token = TOKEN.search(await r.text()).group(1)
        async with session.post(
            f"{base}/login/",
            data={"username": email, "password": "auroramart-demo", "csrfmiddlewaretoken": token},
            allow_redirects=False,
        ) as r:
            if r.status != 302:
                return None
        cookies = {c.key: c.value for c in jar}
        return "; ".join(f"{name}={value}" for name, value in cookies.items()), cookies["csrftoken"]


async def customers(base: str, signed_in: list[tuple[str, str]], setup: dict, seconds: float, workdir: Path):
    """The customers, one wrk thread and connection each, round the checkout for `seconds`
    (bench/checkout_flow.lua says how); what wrk counted."""
    if not signed_in:  # nobody to drive: every customer's sign-in counts as an error
        counts = ("orders", "refused", "errors", "requests", "socket_errors", "p50", "p95", "p99")
        return {**dict.fromkeys(counts, 0), "duration_us": seconds * 1e6}
    file = workdir / "customers.tsv"
    file.write_text("".join(f"{cookie}\t{csrf}\n" for cookie, csrf in signed_in))
    n = len(signed_in)
    process = await asyncio.create_subprocess_exec(
        load.wrk_path(),
        f"-t{n}",
        f"-c{n}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(ROOT / "bench" / "checkout_flow.lua"),
        base,
        stdout=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "FLOW_CUSTOMERS": str(file),
            "FLOW_HOT": str(setup["hot"]),
            "FLOW_OTHERS": ",".join(str(v) for v in setup["others"]),
        },
    )
    out, _ = await process.communicate()
    line = next(row for row in out.decode().splitlines() if row.startswith("WRKJSON "))
    return json.loads(line.removeprefix("WRKJSON "))


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
    base: str, emails: list[str], setup: dict, seconds: float, attackers: list, cpu_seconds, workdir: Path
) -> dict:
    attacks = {"requests": 0, "server_errors": 0, "errors": 0}
    signed_in = await asyncio.gather(*(sign_in(base, e) for e in emails))
    ready = [s for s in signed_in if s is not None]
    window = Window(len(attackers), seconds, cpu_seconds)
    outcome, *_ = await asyncio.gather(
        _after(window.open(), customers(base, ready, setup, seconds, workdir)),
        *(attacker_loop(base, email, kind, setup, window, attacks) for email, kind in attackers),
    )
    # Everything the server did in the window (add to cart, checkout pages, placements, the
    # attacks alongside) per order placed: an upper bound on an order's cost.
    used = cpu_seconds() - window.cpu_at_start
    elapsed = outcome["duration_us"] / 1e6
    return {
        "orders": outcome["orders"],
        "refused": outcome["refused"],
        # a customer who could not sign in, a page or answer not as a shop's, a dropped connection
        "errors": outcome["errors"] + outcome["socket_errors"] + len(signed_in) - len(ready),
        "attacks": attacks,
        "seconds": round(elapsed, 1),
        "orders_per_second": round(outcome["orders"] / elapsed, 2),
        "requests": outcome["requests"],
        "flow_p50_ms": round(outcome["p50"] / 1000, 1),
        "flow_p95_ms": round(outcome["p95"] / 1000, 1),
        "flow_p99_ms": round(outcome["p99"] / 1000, 1),
        "server_cpu_ms_per_order": round(used * 1000 / max(1, outcome["orders"]), 2),
    }


async def _after(first, then):
    await first
    return await then


ATTACKS = ("canceller", "duplicate-cart", "declined-card")


def run(env: dict, port: int, customers: int, seconds: float, cpu_seconds: Callable[[], float]) -> dict:
    """The flow against the server on `port`; `cpu_seconds` reads the server's CPU time."""
    setup = shell(env, SETUP)
    emails = [f"customer{i:03d}@example.test" for i in range(1, customers + 1)]
    attackers = [(f"customer{customers + 1 + i:03d}@example.test", kind) for i, kind in enumerate(ATTACKS)]
    with tempfile.TemporaryDirectory(prefix="auroramart-flow-") as workdir:
        result = asyncio.run(
            drive_flow(
                f"http://127.0.0.1:{port}", emails, setup, seconds, attackers, cpu_seconds, Path(workdir)
            )
        )
    check = shell(env, CHECK.replace("HOT_ID", str(setup["hot"])).replace("SINCE", setup["since"]))
    result.update(check)
    result["oversold_units"] = max(0, check["hot_sold"] - HOT_STOCK) + check["negative_stock"]
    result["hot_product_stock_at_start"] = HOT_STOCK
    return result
