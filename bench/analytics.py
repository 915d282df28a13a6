"""Analytics at scale (`make bench-analytics`): a PostgreSQL shop with about
1,000,000 order lines (the demo data scaled up), then

1. the rollup of one day (each of the last 7 days, timed) — target under 10 s;
2. the dashboard for a 90-day range rendered server-side, uncached, p50/p95 —
   target under 300 ms — against a bare view through the same stack.

    python bench/analytics.py                       # ~490,000 orders, ~1,000,000 lines
    python bench/analytics.py --orders 50000        # smaller, quicker
    python bench/analytics.py --reuse               # skip seeding when the database exists
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import postgres  # noqa: E402  (a sibling module of this script)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB = "auroramart_bench_analytics"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=490_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    host = postgres.host()
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url(DB),
        "DEBUG": "false",
        "AURORAMART_DEMO": "true",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "STATIC_MANIFEST": "false",
        "BENCH_BASELINE_VIEW": "true",
        "RECOMMENDATION_MODEL_DIR": tempfile.mkdtemp(prefix="auroramart-bench-models-"),
    }
    if not args.reuse:
        subprocess.run(["dropdb", "-h", host, "-U", "postgres", "--if-exists", DB], check=True)
        subprocess.run(["createdb", "-h", host, "-U", "postgres", DB], check=True)
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [PYTHON, "manage.py", "setup_admin"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(
            f"== seeding {args.orders:,} orders over {args.products:,} products (and the year's rollups)",
            flush=True,
        )
        started = time.perf_counter()
        subprocess.run(
            [
                PYTHON,
                "manage.py",
                "create_sample_data",
                "--products",
                str(args.products),
                "--customers",
                str(args.customers),
                "--orders",
                str(args.orders),
                "--images",
                "0",
                "--no-progress",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        print(f"   seeded and rolled up in {time.perf_counter() - started:.0f} s", flush=True)
    out = subprocess.run(
        [PYTHON, "-c", MEASURE.replace("RUNS", str(args.runs))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result.update(
        when=datetime.now(UTC).isoformat(timespec="seconds"),
        machine={"python": platform.python_version(), "cpus": os.cpu_count()},
    )
    print(
        f"order lines: {result['order_lines']:,}; orders: {result['orders']:,}; product-day rows: {result['product_rows']:,}"
    )
    print(
        f"rollup of one day: mean {result['rollup_day_mean_s']:.2f} s, max {result['rollup_day_max_s']:.2f} s (target 10 s)"
    )
    print(
        f"dashboard, 90 days, uncached: p50 {result['dashboard_p50_ms']:.0f} ms, p95 {result['dashboard_p95_ms']:.0f} ms "
        f"(target 300 ms); cached p95 {result['dashboard_cached_p95_ms']:.1f} ms; bare view p95 {result['baseline_p95_ms']:.1f} ms"
    )
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"analytics-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"== results in {path.relative_to(ROOT)}")


MEASURE = """
import json, os, time
from datetime import timedelta
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auroramart.settings")
django.setup()
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from auroramart.accounts.models import User
from auroramart.analytics.models import ProductAnalytics
from auroramart.analytics.rollups import rollup_day
from auroramart.orders.models import Order, OrderItem

today = timezone.localdate()
times = []
for n in range(1, 8):
    t = time.perf_counter(); rollup_day(today - timedelta(days=n)); times.append(time.perf_counter() - t)
client = Client()
client.force_login(User.objects.get(email="analyst@auroramart.test"))
def timed(url, clear):
    out = []
    for _ in range(RUNS):
        if clear:
            cache.clear()
        t = time.perf_counter(); r = client.get(url); out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    out.sort()
    return out[len(out) // 2], out[min(len(out) - 1, int(round(0.95 * (len(out) - 1))))]
base = timed("/__bench__/bare", False)
p50, p95 = timed("/admin-panel/analytics/?range=90d", True)
_, cached95 = timed("/admin-panel/analytics/?range=90d", False)
print(json.dumps({
    "order_lines": OrderItem.objects.count(), "orders": Order.objects.count(),
    "product_rows": ProductAnalytics.objects.count(),
    "rollup_day_mean_s": sum(times) / len(times), "rollup_day_max_s": max(times),
    "dashboard_p50_ms": p50, "dashboard_p95_ms": p95, "dashboard_cached_p95_ms": cached95,
    "baseline_p50_ms": base[0], "baseline_p95_ms": base[1], "ratio_p95": p95 / base[1],
}))
"""

if __name__ == "__main__":
    main()
