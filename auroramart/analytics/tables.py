"""The dashboard's charts and their tables, from the data of selectors.dashboard.
One definition serves the chart, the table beside it and its CSV export."""

from auroramart.core.money import format_money
from auroramart.orders.models import Order

STATUS_LABELS = dict(Order.Status.choices)  # the orders app is the one home of the names


class Money:
    """A money cell: "12.50" in the CSV, "S$12.50" on the page."""

    def __init__(self, amount):
        self.amount = amount

    def raw(self):
        return f"{self.amount:.2f}"

    def shown(self):
        return format_money(self.amount)


class Share:
    """A ratio cell: "0.1234" in the CSV, "12.3%" on the page."""

    def __init__(self, ratio):
        self.ratio = ratio

    def raw(self):
        return f"{self.ratio:.4f}"

    def shown(self):
        return f"{self.ratio * 100:.1f}%"


def _cells(rows, how):
    return [[getattr(c, how)() if isinstance(c, Money | Share) else c for c in row] for row in rows]


def tables(data: dict) -> list[dict]:
    """[{name, title, chart (type), headers, rows (display), raw (for CSV), labels, datasets}]"""
    out = []

    def add(name, title, chart, headers, rows, labels=None, datasets=None, wide=False):
        out.append(
            {
                "name": name,
                "title": title,
                "chart": chart,
                "headers": headers,
                "raw": _cells(rows, "raw"),
                "rows": _cells(rows, "shown"),
                "labels": labels or [],
                "datasets": datasets or [],
                "wide": wide,
            }
        )

    series = data["series"]
    add(
        "revenue",
        "Revenue and orders over time",
        "line",
        ["Date", "Revenue (S$)", "Orders"],
        [[d["date"], Money(d["revenue"]), d["orders"]] for d in series],
        [d["date"] for d in series],
        [
            {"label": "Revenue (S$)", "data": [float(d["revenue"]) for d in series], "yAxisID": "y"},
            {"label": "Orders", "data": [d["orders"] for d in series], "yAxisID": "y1"},
        ],
        wide=True,
    )
    statuses = data["statuses"]
    add(
        "statuses",
        "Orders by status",
        "doughnut",
        ["Status", "Orders"],
        [[STATUS_LABELS.get(s["status"], s["status"]), s["orders"]] for s in statuses],
        labels=[STATUS_LABELS.get(s["status"], s["status"]) for s in statuses],
        datasets=[{"label": "Orders", "data": [s["orders"] for s in statuses]}],
    )
    funnel = data["funnel"]
    first = funnel[0]["count"] or 0
    add(
        "funnel",
        "Funnel: views to cart to purchase",
        "bar",
        ["Step", "Count", "Share of viewing sessions"],
        [[f["step"], f["count"], Share(f["count"] / first) if first else ""] for f in funnel],
        [f["step"] for f in funnel],
        [{"label": "Count", "data": [f["count"] for f in funnel]}],
    )
    top = data["top_products"]
    add(
        "top-products",
        "Top products by revenue",
        "bar-horizontal",
        ["SKU", "Product", "Units", "Revenue (S$)", "Views"],
        [[p["sku"], p["name"], p["units"], Money(p["revenue"]), p["views"]] for p in top],
        [p["name"][:30] for p in top],
        [{"label": "Revenue (S$)", "data": [float(p["revenue"]) for p in top]}],
    )
    cats = data["categories"]
    add(
        "categories",
        "Top categories",
        "bar",
        ["Category", "Units", "Revenue (S$)", "Views", "Added to cart"],
        [[c["name"], c["units"], Money(c["revenue"]), c["views"], c["add_to_carts"]] for c in cats],
        [c["name"] for c in cats],
        [{"label": "Revenue (S$)", "data": [float(c["revenue"]) for c in cats]}],
    )
    total = sum(float(c["revenue"]) for c in cats) or 1
    add(
        "category-mix",
        "Category mix (share of revenue)",
        "pie",
        ["Category", "Share of revenue"],
        [[c["name"], Share(float(c["revenue"]) / total)] for c in cats],
        [c["name"] for c in cats],
        [{"label": "Share", "data": [round(float(c["revenue"]) / total * 100, 2) for c in cats]}],
    )
    segments = data["segments"]
    add(
        "segments",
        "Customer segments (RFM)",
        "bar",
        ["Segment", "Customers", "Lifetime value (S$)"],
        [[s["label"], s["customers"], Money(s["lifetime_value"])] for s in segments],
        [s["label"] for s in segments],
        [{"label": "Customers", "data": [s["customers"] for s in segments]}],
    )
    tiers = data["tiers"]
    add(
        "tiers",
        "Loyalty tier distribution",
        "bar",
        ["Tier", "Customers"],
        [[t["tier"], t["customers"]] for t in tiers],
        labels=[t["tier"] for t in tiers],
        datasets=[{"label": "Customers", "data": [t["customers"] for t in tiers]}],
    )
    slots = data["slots"]
    add(
        "recommendations",
        "Recommendations: CTR and conversion per slot",
        "bar",
        ["Slot", "Impressions", "Clicks", "CTR", "Added to cart", "Purchases", "Conversion", "Revenue (S$)"],
        [
            [
                s["label"],
                s["impressions"],
                s["clicks"],
                Share(s["ctr"]),
                s["add_to_carts"],
                s["purchases"],
                Share(s["conversion"]),
                Money(s["revenue"]),
            ]
            for s in slots
        ],
        [s["label"] for s in slots],
        [
            {"label": "CTR %", "data": [round(s["ctr"] * 100, 2) for s in slots]},
            {"label": "Conversion %", "data": [round(s["conversion"] * 100, 2) for s in slots]},
        ],
        wide=True,
    )
    marketing = data["marketing"]
    add(
        "marketing",
        "Coupons, campaigns and cart reminders",
        "bar",
        [
            "Kind",
            "Coupon or campaign",
            "Messages sent",
            "Uses (carts recovered)",
            "Revenue (S$)",
            "Discount cost (S$)",
        ],
        [
            [
                m["kind"],
                _marketing_label(m),
                m["reach"],
                m["uses"],
                Money(m["revenue"]),
                Money(m["discount_cost"]),
            ]
            for m in marketing
        ],
        [_marketing_label(m) for m in marketing],
        [
            {"label": "Revenue (S$)", "data": [float(m["revenue"]) for m in marketing]},
            {"label": "Discount cost (S$)", "data": [float(m["discount_cost"]) for m in marketing]},
        ],
    )
    low = data["low_stock"]
    add(
        "low-stock",
        "Low stock",
        "bar-horizontal",
        ["SKU", "Product", "In stock", "Reorder level"],
        [[p["sku"], p["name"], p["stock_quantity"], p["reorder_level"]] for p in low],
        labels=[p["name"][:30] for p in low],
        datasets=[
            {"label": "In stock", "data": [p["stock_quantity"] for p in low]},
            {"label": "Reorder level", "data": [p["reorder_level"] for p in low]},
        ],
    )
    return out


def _marketing_label(row: dict) -> str:
    """A coupon by its code; a campaign by its name (its key is only an id)."""
    return row["name"] if row["kind"] != "coupon" and row["name"] else row["key"]
