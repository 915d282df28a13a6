"""Helpers for data migrations (they receive historical models, so they take the app registry)."""

from django.db.models import OuterRef, Subquery


def point_rows_at_default_variant(apps, app_label: str, model_name: str) -> None:
    """Set `variant` on every row of the model from its `product`, whose only variant it is
    when the variants migration runs."""
    model = apps.get_model(app_label, model_name)
    variant = apps.get_model("catalog", "ProductVariant")
    first = variant.objects.filter(product_id=OuterRef("product_id")).order_by("pk").values("pk")[:1]
    model.objects.filter(variant__isnull=True, product__isnull=False).update(variant_id=Subquery(first))


def sql_statements(sql: str) -> list[str]:
    """Split a script on the semicolons that end its statements, keeping $$-quoted function
    bodies whole."""
    parts, current, quoted = [], [], False
    for line in sql.strip().splitlines():
        current.append(line)
        if line.count("$$") % 2:
            quoted = not quoted
        if not quoted and line.rstrip().endswith(";"):
            parts.append("\n".join(current))
            current = []
    return parts
