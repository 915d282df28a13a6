"""Model objects to the API's plain dicts (validated against the schemas on the way out)."""

from auroramart.core.money import quantize


def product_out(p) -> dict:
    image = p.primary_image
    return {
        "id": p.pk,
        "sku": p.sku,
        "slug": p.slug,
        "name": p.name,
        "brand": p.brand.name if p.brand_id else None,
        "category": p.category.name,
        "price": p.price,
        "compare_at_price": p.compare_at_price,
        "price_max": p.price_max if p.has_price_range else None,
        "in_stock": p.stock_quantity > 0,
        "rating": p.rating,
        "rating_count": p.rating_count,
        "image": image.thumbnail_url if image else None,
        "url": p.get_absolute_url(),
    }


def cart_out(summary, message: str = "") -> dict:
    return {
        "lines": [
            {
                "variant_id": line.variant.pk,
                "product_id": line.product.pk,
                "sku": line.variant.sku,
                "name": line.product.name,
                "variant_name": line.variant.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
                "problem": line.problem,
            }
            for line in summary.lines
        ],
        "item_count": summary.item_count,
        "subtotal": summary.subtotal,
        "coupons": [{"code": c.code, "discount": quantize(amount)} for c, amount in summary.coupons],
        "coupon_errors": summary.coupon_errors,
        "points": summary.points,
        "points_discount": summary.points_discount,
        "reward_discount": summary.reward_discount,
        "shipping_method": summary.shipping_method,
        "shipping_fee": summary.shipping_fee,
        "shipping_name": summary.shipping_label,
        "shipping_estimate": summary.shipping_estimate,
        "total": summary.total,
        "gst_included": summary.gst_included,
        "prices_include_tax": summary.prices_include_tax,
        "tax_lines": summary.tax_lines,
        "message": message,
    }


def order_summary(order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        "placed_at": order.placed_at,
        "total": order.total,
        "items": getattr(order, "item_count", None) or order.items.count(),
    }


def order_out(order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        "placed_at": order.placed_at,
        "subtotal": order.subtotal,
        "discount_total": order.discount_total,
        "points_redeemed": order.points_redeemed,
        "points_discount": order.points_discount,
        "shipping_fee": order.shipping_fee,
        "total": order.total,
        "gst_included": order.gst_included,
        "prices_include_tax": order.prices_include_tax,
        "tax_lines": order.tax_lines,
        "shipping_method": order.shipping_method,
        "shipping_name": order.shipping_name,
        "ship_country": order.ship_country,
        "lines": [
            {
                "product_id": item.product_id,
                "variant_id": item.variant_id,
                "sku": item.sku,
                "name": item.name,
                "variant_name": item.variant_name,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "line_total": item.line_total,
                "line_id": item.pk,
                "returned_quantity": item.returned_quantity,
                "exchanged_quantity": item.exchanged_quantity,
            }
            for item in order.items.all()
        ],
        "refunded_total": order.refunded_total,
        "credit_notes": [
            {
                "number": cn.number,
                "kind": cn.kind,
                "amount": cn.amount,
                "merchandise": cn.merchandise,
                "shipping": cn.shipping,
                "points_returned": cn.points_returned,
                "refunded": cn.refunded_at is not None,
                "reason": cn.reason,
                "created_at": cn.created_at,
            }
            for cn in order.credit_notes.all()
        ],
        "timeline": [
            {"status": c.to_status, "at": c.created_at.isoformat(), "note": c.note}
            for c in order.status_changes.all()
        ],
    }


def variants_out(matrix: dict) -> dict:
    """A product's options and variants (catalog.selectors.variant_matrix) for the API."""
    names = {value["id"]: (o["name"], value["value"]) for o in matrix["options"] for value in o["values"]}
    return {
        "options": [{"id": o["id"], "name": o["name"], "values": o["values"]} for o in matrix["options"]],
        "variants": [
            {
                "id": v["id"],
                "sku": v["sku"],
                "name": v["name"],
                "options": dict(names[i] for i in v["values"] if i in names),
                "price": v["price"],
                "compare_at_price": v["compare_at_price"],
                "in_stock": v["stock"] > 0,
                "stock_quantity": v["stock"],
                "image": v["image"]["url"] if v["image"] else None,
            }
            for v in matrix["variants"]
        ],
    }
