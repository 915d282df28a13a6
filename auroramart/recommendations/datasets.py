"""Training data: the shop's own customers and order baskets, or the AuroraMart
CSV files (customers with a declared preferred category; baskets as one 0/1
column per SKU). Every reader returns plain Python/NumPy structures and raises
DatasetError with the line at fault."""

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from auroramart.accounts.models import CATEGORICAL_DEMOGRAPHICS, DEMOGRAPHIC_FIELDS, NUMERIC_DEMOGRAPHICS

FEATURES = list(DEMOGRAPHIC_FIELDS)
CATEGORICAL = list(CATEGORICAL_DEMOGRAPHICS)
NUMERIC = list(NUMERIC_DEMOGRAPHICS)
TARGET = "preferred_category"


class DatasetError(ValueError):
    """The file or data cannot be used for training; the message says where and why."""


@dataclass
class Customers:
    rows: list[dict]  # the eight features, typed
    labels: list[str]
    source: str


@dataclass
class Baskets:
    matrix: sparse.csr_matrix  # baskets × items, 1 where the basket holds the item
    items: list[str]  # SKU of each column
    source: str

    @property
    def size(self) -> dict:
        return {"baskets": int(self.matrix.shape[0]), "items": len(self.items), "lines": int(self.matrix.nnz)}


def _open_text(path) -> io.StringIO:
    raw = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return io.StringIO(raw.decode(encoding), newline="")
        except UnicodeDecodeError:
            continue
    raise DatasetError(f"{path}: the file is neither UTF-8 nor cp1252 text.")


def feature_row(source: dict, where: str = "") -> dict:
    """The eight demographic fields, checked and typed (numbers as floats)."""
    prefix = f"{where}: " if where else ""
    row = {}
    for name in CATEGORICAL:
        value = str(source.get(name) or "").strip()
        if not value:
            raise DatasetError(f"{prefix}{name} is empty.")
        row[name] = value
    for name in NUMERIC:
        value = source.get(name)
        if isinstance(value, bool):
            value = int(value)
        try:
            row[name] = float(value)
        except (TypeError, ValueError):
            raise DatasetError(f"{prefix}{name} must be a number, not {value!r}.") from None
    if not 0 <= row["has_children"] <= 1:
        raise DatasetError(f"{prefix}has_children must be 0 or 1.")
    return row


def read_customers_csv(path) -> Customers:
    reader = csv.DictReader(_open_text(path))
    missing = [c for c in [*FEATURES, TARGET] if c not in (reader.fieldnames or [])]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}.")
    rows, labels = [], []
    for line, record in enumerate(reader, start=2):
        rows.append(feature_row(record, f"{path} line {line}"))
        label = (record.get(TARGET) or "").strip()
        if not label:
            raise DatasetError(f"{path} line {line}: {TARGET} is empty.")
        labels.append(label)
    if not rows:
        raise DatasetError(f"{path}: no customers.")
    return Customers(rows, labels, source=Path(path).name)


TRUE = {"1", "1.0", "True", "true"}
FLAGS = TRUE | {"0", "0.0", "False", "false", ""}


def read_baskets_csv(path) -> Baskets:
    reader = csv.reader(_open_text(path))
    header = next(reader, None)
    if not header:
        raise DatasetError(f"{path}: the file is empty.")
    items = [h.strip() for h in header]
    if any(not sku for sku in items) or len(set(items)) != len(items):
        raise DatasetError(f"{path} line 1: the header must be distinct SKU codes.")
    rows, cols = [], []
    count = 0
    for line, record in enumerate(reader, start=2):
        if len(record) != len(items):
            raise DatasetError(f"{path} line {line}: {len(record)} values for {len(items)} SKUs.")
        values = set(record)
        if not values <= FLAGS:
            bad = next(i for i, v in enumerate(record) if v not in FLAGS)
            raise DatasetError(f"{path} line {line}: {items[bad]} is {record[bad]!r}, not 0 or 1.")
        ones = [i for i, v in enumerate(record) if v in TRUE] if values & TRUE else []
        rows.extend([count] * len(ones))
        cols.extend(ones)
        count += 1
    if not count:
        raise DatasetError(f"{path}: no baskets.")
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(count, len(items)))
    return Baskets(matrix, items, source=Path(path).name)


def shop_customers() -> Customers:
    """Customers with a profile: their declared preferred category, else the category they buy most."""
    from auroramart.accounts.models import CustomerProfile
    from auroramart.orders.models import OrderItem

    declared = dict(
        CustomerProfile.preferred_categories.through.objects.order_by("id").values_list(
            "customerprofile__user_id", "category__name"
        )
    )
    bought: dict[int, Counter] = {}
    for user_id, category in OrderItem.objects.filter(order__status__in=PAID_STATUSES).values_list(
        "order__user_id", "product__category__name"
    ):
        if user_id and category:
            bought.setdefault(user_id, Counter())[category] += 1
    rows, labels = [], []
    for profile in CustomerProfile.objects.filter(user__is_active=True).values("user_id", *FEATURES):
        label = declared.get(profile["user_id"])
        if label is None and profile["user_id"] in bought:
            label = bought[profile["user_id"]].most_common(1)[0][0]
        if label:
            rows.append(feature_row(profile))
            labels.append(label)
    return Customers(rows, labels, source="shop customers")


PAID_STATUSES = ("paid", "processing", "shipped", "delivered")


def shop_baskets() -> Baskets:
    """Each paid order is a basket of the products it holds, keyed by the product's SKU:
    associations are learnt between products, whichever variants were bought (a line whose
    product is gone keeps the SKU it was sold under)."""
    from django.db.models.functions import Coalesce

    from auroramart.orders.models import OrderItem

    pairs = OrderItem.objects.filter(order__status__in=PAID_STATUSES).values_list(
        "order_id", Coalesce("product__sku", "sku")
    )
    order_index: dict[int, int] = {}
    item_index: dict[str, int] = {}
    rows, cols = [], []
    for order_id, sku in pairs.iterator(chunk_size=20000):
        rows.append(order_index.setdefault(order_id, len(order_index)))
        cols.append(item_index.setdefault(sku, len(item_index)))
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(order_index), len(item_index))
    )
    matrix.data[:] = 1  # an order listing a SKU twice is still one basket item
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return Baskets(matrix, list(item_index), source="shop orders")
