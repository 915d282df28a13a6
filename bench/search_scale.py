"""Search at scale: seed a large catalog (default 100,000 products) into a fresh
PostgreSQL database and time, for a mix of real queries (words, partial words,
typos, SKU prefixes, multi-word), the results page's search query (count and
first page, ranked) and the suggestions, in-process, with a bare primary-key
query as the baseline. Run by `make bench BENCH_ARGS=--search-scale`."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import postgres  # noqa: E402  (a sibling module of this script)

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "headphones",
    "wireless headphones",
    "hedphones",
    "wirel",
    "laptop",
    "nimbus laptop air",
    "dog food",
    "mascarra",
    "yoga mat",
    "cast iron skillet",
    "smartwatch",
    "kettle",
    "sunscreen",
    "board game",
    "tent",
    "voltix",
    "sonara earbuds",
    "coffee maker",
    "green tea",
    "protein bar",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = parser.parse_args()
    db = "auroramart_search_bench"
    host = postgres.host()
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url(db),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    if not args.reuse:
        for sql in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}"):
            subprocess.run(["psql", "-h", host, "-U", "postgres", "-q", "-c", sql], check=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "create_sample_data",
                "--products",
                str(args.products),
                "--customers",
                "100",
                "--orders",
                "0",
                "--images",
                "0",
                "--no-progress",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"seeded {args.products} products in {time.perf_counter() - started:.0f} s", flush=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auroramart.settings")
    import django

    django.setup()
    from django.db import connection

    from auroramart.catalog.models import Product
    from auroramart.search.backends import search_products, vocabulary
    from auroramart.search.selectors import _suggestions as suggestions  # the uncached work

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
    vocabulary()  # built once per catalog version and cached, as in the app
    first_pk = Product.objects.order_by("pk").values_list("pk", flat=True).first()

    def timed(fn):
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1000

    def results_page(q):
        qs = search_products(q).select_related("brand", "category").order_by("-score", "pk")
        qs.count()
        list(qs[:24])

    samples = {"baseline (pk lookup)": [], "results page query": [], "suggestions": []}
    for _ in range(args.repeat):
        for q in QUERIES:
            samples["baseline (pk lookup)"].append(timed(lambda: Product.objects.filter(pk=first_pk).first()))
            samples["results page query"].append(timed(lambda q=q: results_page(q)))
            samples["suggestions"].append(timed(lambda q=q: suggestions(q[:4])))
    report = {}
    for name, values in samples.items():
        values.sort()
        report[name] = {
            "n": len(values),
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(values[int(0.95 * (len(values) - 1))], 2),
        }
        print(f"{name:<22} p50 {report[name]['p50_ms']:>7} ms   p95 {report[name]['p95_ms']:>7} ms")
    report["targets"] = {"results page query p95_ms": 50, "suggestions p95_ms": 30}
    report["met"] = report["results page query"]["p95_ms"] < 50 and report["suggestions"]["p95_ms"] < 30
    out = ROOT / "bench" / "results" / f"search-postgresql-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"products": args.products, **report}, indent=2))
    print(f"written to {out.relative_to(ROOT)}; targets {'met' if report['met'] else 'MISSED'}")


if __name__ == "__main__":
    main()
