"""Recommendation benchmarks (part of `make bench`).

1. Training: frequently-bought-together rules from 50,000 baskets over 500
   SKUs (the AuroraMart basket format, generated with planted pairs and a
   popularity skew), in a separate process so its wall time and peak memory are
   its own. Baseline in the same run: just reading the same CSV file.
2. Lookup: `bought_together(product)` (model in memory, stock filtered in the
   database) at p50/p95 against a bare primary-key product query in the same run.

    python bench/recommendations.py                 # SQLite in a temporary folder
    python bench/recommendations.py --baskets 20000
Targets: training within 60 s and 2 GB; lookup p95 under 5 ms.
"""

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TRAIN_TARGET_S, MEMORY_TARGET_MB, LOOKUP_TARGET_MS = 60.0, 2048, 5.0


def write_baskets(path: Path, skus: list[str], count: int, seed: int = 7) -> int:
    """Baskets of 1–6 items, popular SKUs more likely, 100 planted pairs in 40% of baskets."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(skus))]
    shuffled = skus[:]
    rng.shuffle(shuffled)
    pairs = [(shuffled[2 * i], shuffled[2 * i + 1]) for i in range(100)]
    index = {sku: i for i, sku in enumerate(skus)}
    lines = 0
    with path.open("w") as fh:
        fh.write(",".join(skus) + "\n")
        for _ in range(count):
            basket = set(rng.choice(pairs)) if rng.random() < 0.4 else set()
            basket.update(rng.choices(skus, weights, k=rng.randint(1, 4)))
            row = ["0"] * len(skus)
            for sku in basket:
                row[index[sku]] = "1"
            lines += len(basket)
            fh.write(",".join(row) + "\n")
    return lines


def run(env, *args, capture=False):
    return subprocess.run([PYTHON, *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baskets", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="auroramart-recs-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "RECOMMENDATION_MODEL_DIR": str(work / "models"),
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    print("== seeding 500 products", flush=True)
    run(env, "manage.py", "migrate", "-v0")
    run(
        env,
        "manage.py",
        "create_sample_data",
        "--products",
        "500",
        "--customers",
        "5",
        "--orders",
        "0",
        "--images",
        "0",
        "--no-progress",
    )
    skus = (
        run(
            env,
            "manage.py",
            "shell",
            "-v0",
            "-c",
            "from auroramart.catalog.models import Product; print(','.join(Product.objects.order_by('pk').values_list('sku', flat=True)))",
            capture=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .split(",")
    )
    csv_path = work / "baskets.csv"
    lines = write_baskets(csv_path, skus, args.baskets)
    print(
        f"== {args.baskets:,} baskets, {len(skus)} SKUs, {lines:,} basket items ({csv_path.stat().st_size / 1e6:.0f} MB)"
    )

    started = time.perf_counter()
    run(env, "-c", f"import csv; sum(1 for _ in csv.reader(open({str(csv_path)!r})))")
    read_s = time.perf_counter() - started
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    out = run(
        env,
        "manage.py",
        "train_models",
        "--only",
        "associations",
        "--baskets-csv",
        str(csv_path),
        "-v0",
        capture=True,
    ).stdout
    train_s = time.perf_counter() - started
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(out.strip())

    lookup = run(env, "-c", LOOKUP_SCRIPT.replace("N_LOOKUPS", str(args.lookups)), capture=True).stdout
    lookup = json.loads(lookup.strip().splitlines()[-1])
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "training": {
            "baskets": args.baskets,
            "skus": len(skus),
            "seconds": round(train_s, 2),
            "peak_memory_mb": round(peak_mb),
            "baseline_read_csv_seconds": round(read_s, 2),
            "ratio_to_reading_the_csv": round(train_s / read_s, 2),
            "targets": {"seconds": TRAIN_TARGET_S, "memory_mb": MEMORY_TARGET_MB},
            "met": train_s < TRAIN_TARGET_S and peak_mb < MEMORY_TARGET_MB,
        },
        "lookup": {**lookup, "target_p95_ms": LOOKUP_TARGET_MS, "met": lookup["p95_ms"] < LOOKUP_TARGET_MS},
    }
    print(
        f"training: {train_s:.1f} s (reading the CSV alone {read_s:.1f} s, ratio {train_s / read_s:.1f}), "
        f"peak memory {peak_mb:.0f} MB; targets 60 s / 2048 MB: {'met' if result['training']['met'] else 'MISSED'}"
    )
    print(
        f"lookup: p50 {lookup['p50_ms']:.2f} ms, p95 {lookup['p95_ms']:.2f} ms "
        f"(bare pk query p95 {lookup['baseline_p95_ms']:.2f} ms, ratio {lookup['ratio_p95']:.1f}); "
        f"target p95 5 ms: {'met' if result['lookup']['met'] else 'MISSED'}"
    )
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"recommendations-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"== results in {path.relative_to(ROOT)}")


LOOKUP_SCRIPT = """
import json, os, random, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auroramart.settings")
django.setup()
from auroramart.catalog.models import Product
from auroramart.recommendations import services
products = list(Product.objects.all())
rng = random.Random(1)
services.bought_together(products[0])  # load the model once, as a warm worker has
timed, base, found = [], [], 0
for _ in range(N_LOOKUPS):
    p = rng.choice(products)
    t = time.perf_counter(); Product.objects.filter(pk=p.pk).first(); base.append(time.perf_counter() - t)
    t = time.perf_counter(); pairs, _ = services.bought_together(p); timed.append(time.perf_counter() - t)
    found += bool(pairs)
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))] * 1000
print(json.dumps({"lookups": N_LOOKUPS, "with_results": found, "p50_ms": pct(timed, 50), "p95_ms": pct(timed, 95),
    "baseline_p95_ms": pct(base, 95), "ratio_p95": pct(timed, 95) / pct(base, 95)}))
"""

if __name__ == "__main__":
    main()
