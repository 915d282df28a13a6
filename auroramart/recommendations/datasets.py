"""Training data: the shop's own customers and order baskets, or CSV files
(customers in the AuroraMart format, with a declared preferred category;
baskets either wide, as one 0/1 column per SKU, or long, as one line per item
with an order id, a SKU or product name and optionally a date). Every reader
returns plain Python/NumPy structures and raises DatasetError with the line at
fault."""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
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
    items: list[str]  # SKU (or, from a file without SKUs, product name) of each column
    source: str
    dates: np.ndarray | None = None  # when each basket was bought (datetime64[s]), if known

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
    """A basket file in either layout: long (a header naming an order column and a SKU or
    product column, one line per item) or wide (a header of SKU codes, one 0/1 row per basket)."""
    reader = csv.reader(_open_text(path))
    header = next(reader, None)
    if not header:
        raise DatasetError(f"{path}: the file is empty.")
    columns = _long_columns(header)
    if columns is not None:
        return _read_long(path, reader, *columns)
    return _read_wide(path, reader, header)


# Column names a long basket file may use (compared lower-case, without spaces, dashes or
# underscores): our own export, common shop exports and public datasets (e.g. Online Retail).
ORDER_COLUMNS = (
    "orderid",
    "order",
    "ordernumber",
    "basket",
    "basketid",
    "transaction",
    "transactionid",
    "invoice",
    "invoiceno",
    "receipt",
)
ITEM_COLUMNS = (
    "sku",
    "productsku",
    "stockcode",
    "itemid",
    "productid",
    "product",
    "productname",
    "item",
    "name",
    "description",
)
DATE_COLUMNS = ("date", "orderdate", "placedat", "createdat", "invoicedate", "timestamp", "time")
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
)


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.strip().lower())


def _long_columns(header: list[str]) -> tuple[int, int, int | None] | None:
    keys = [_key(h) for h in header]

    def find(names):
        return next((keys.index(n) for n in names if n in keys), None)

    order, item = find(ORDER_COLUMNS), find(ITEM_COLUMNS)
    if order is None or item is None or order == item:
        return None
    return order, item, find(DATE_COLUMNS)


def _parse_date(value: str, where: str) -> datetime:
    value = value.strip()
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise DatasetError(f"{where}: {value!r} is not a date (use 2026-03-31 or 2026-03-31 14:05).")


def _read_long(path, reader, order_col: int, item_col: int, date_col: int | None) -> Baskets:
    order_index: dict[str, int] = {}
    item_index: dict[str, int] = {}
    dates: dict[int, datetime] = {}
    rows, cols = [], []
    width = max(order_col, item_col, date_col or 0) + 1
    for line, record in enumerate(reader, start=2):
        if not any(v.strip() for v in record):
            continue
        if len(record) < width:
            raise DatasetError(f"{path} line {line}: {len(record)} values, expected at least {width}.")
        order, item = record[order_col].strip(), record[item_col].strip()
        if not order or not item:
            raise DatasetError(f"{path} line {line}: the order and the item must both be given.")
        row = order_index.setdefault(order, len(order_index))
        if date_col is not None:
            when = _parse_date(record[date_col], f"{path} line {line}")
            dates[row] = min(when, dates.get(row, when))  # an order's first line dates it
        rows.append(row)
        cols.append(item_index.setdefault(item, len(item_index)))
    if not rows:
        raise DatasetError(f"{path}: no baskets.")
    return Baskets(
        _binary(rows, cols, (len(order_index), len(item_index))),
        list(item_index),
        source=Path(path).name,
        dates=np.array([dates[r] for r in range(len(order_index))], dtype="datetime64[s]")
        if date_col is not None
        else None,
    )


def _read_wide(path, reader, header: list[str]) -> Baskets:
    items = [h.strip() for h in header]
    if any(not sku for sku in items) or len(set(items)) != len(items):
        raise DatasetError(
            f"{path} line 1: the header must be distinct SKU codes (a wide file), "
            "or name an order column and a SKU or product column (a long file)."
        )
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
    return Baskets(_binary(rows, cols, (count, len(items))), items, source=Path(path).name)


def _binary(rows, cols, shape) -> sparse.csr_matrix:
    """Baskets × items, 1 where the basket holds the item (an item listed twice is still one)."""
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


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

    pairs = (
        OrderItem.objects.filter(order__status__in=PAID_STATUSES)
        .order_by("order__placed_at", "order_id")
        .values_list("order_id", Coalesce("product__sku", "sku"), "order__placed_at")
    )
    order_index: dict[int, int] = {}
    item_index: dict[str, int] = {}
    rows, cols, dates = [], [], []
    for order_id, sku, placed_at in pairs.iterator(chunk_size=20000):
        row = order_index.setdefault(order_id, len(order_index))
        if row == len(dates):
            dates.append(placed_at.replace(tzinfo=None))
        rows.append(row)
        cols.append(item_index.setdefault(sku, len(item_index)))
    return Baskets(
        _binary(rows, cols, (len(order_index), len(item_index))),
        list(item_index),
        source="shop orders",
        dates=np.array(dates, dtype="datetime64[s]"),
    )
