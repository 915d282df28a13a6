"""Realistic basket data for comparing recommenders where no real history is at hand (a new
shop, CI, the README's tables): a popularity-skewed catalogue in categories, customers who
mostly buy from the one or two categories they like, bundles of 2–4 items that are bought
together part of the time, products launched during the year, and noise. Deterministic for a
seed; written in the long layout that `--baskets-csv` reads (order id, SKU, date).

    manage.py evaluate_models --synthetic-baskets 20000
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from auroramart.core.csv_export import write_csv_file

from .datasets import Baskets, _binary


@dataclass
class Shape:
    items: int = 600
    categories: int = 24
    customers: int = 3000
    bundles: int = 80
    bundle_share: float = 0.3  # baskets that hold (part of) a bundle
    favourite_share: float = 0.6  # other items from the customer's own categories
    launched_share: float = 0.15  # items launched during the year, not at its start
    days: int = 365


def generate(baskets: int, seed: int = 7, shape: Shape | None = None) -> list[tuple[str, str, datetime]]:
    """(order id, SKU, placed at) lines, oldest first."""
    shape = shape or Shape()
    rng = random.Random(seed)
    skus = [f"SYN-{i:05d}" for i in range(shape.items)]
    category = [i % shape.categories for i in range(shape.items)]
    rank = list(range(shape.items))
    rng.shuffle(rank)
    weight = [1 / (r + 1) ** 0.9 for r in rank]  # Zipf-like popularity
    launched = [
        rng.randint(30, shape.days - 30) if rng.random() < shape.launched_share else 0
        for _ in range(shape.items)
    ]
    in_category: list[list[int]] = [[] for _ in range(shape.categories)]
    for i, c in enumerate(category):
        in_category[c].append(i)
    bundles = []
    for _ in range(shape.bundles):
        home = rng.randrange(shape.categories)
        size = rng.choice([2, 2, 3, 4])
        members = rng.sample(in_category[home], min(size - 1, len(in_category[home])))
        members.append(rng.randrange(shape.items))  # one complement from anywhere
        bundles.append(list(dict.fromkeys(members)))
    tastes = [rng.sample(range(shape.categories), rng.choice([1, 1, 2])) for _ in range(shape.customers)]
    start = datetime(2026, 1, 1)
    pools: dict[tuple[int, int], tuple[list[int], list[float]]] = {}

    def pool(category: int, day: int):
        """Items on sale that day (in a category; -1: all) with running weights, kept per day."""
        key = (category, day)
        if key not in pools:
            members = range(shape.items) if category < 0 else in_category[category]
            on_sale = [i for i in members if launched[i] <= day]
            running, total = [], 0.0
            for i in on_sale:
                total += weight[i]
                running.append(total)
            pools[key] = (on_sale, running)
        return pools[key]

    lines = []
    for order in range(baskets):
        day = shape.days * (order / max(1, baskets))
        placed = start + timedelta(days=day, minutes=rng.randint(0, 1439))
        taste = tastes[rng.randrange(shape.customers)]
        basket: set[int] = set()
        if rng.random() < shape.bundle_share:
            bundle = [i for i in rng.choice(bundles) if launched[i] <= day]
            basket.update(i for i in bundle if rng.random() < 0.8)
        for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
            category = rng.choice(taste) if rng.random() < shape.favourite_share else -1
            on_sale, running = pool(category, int(day))
            if on_sale:
                basket.add(rng.choices(on_sale, cum_weights=running)[0])
        lines += [(f"S{order:07d}", skus[i], placed) for i in sorted(basket)]
    return lines


def write_csv(path: Path, lines) -> Path:
    return write_csv_file(
        path,
        ["order_id", "sku", "date"],
        ([order, sku, placed.strftime("%Y-%m-%d %H:%M")] for order, sku, placed in lines),
    )


def as_baskets(lines, source: str = "synthetic baskets") -> Baskets:
    orders: dict[str, int] = {}
    items: dict[str, int] = {}
    dates: list[datetime] = []
    rows, cols = [], []
    for order, sku, placed in lines:
        row = orders.setdefault(order, len(orders))
        if row == len(dates):
            dates.append(placed)
        rows.append(row)
        cols.append(items.setdefault(sku, len(items)))
    return Baskets(
        _binary(rows, cols, (len(orders), len(items))),
        list(items),
        source=source,
        dates=np.array(dates, dtype="datetime64[s]"),
    )
