"""What search engines and link previews read: schema.org JSON-LD (Product with its Offer and
AggregateRating, BreadcrumbList, Organization) and the absolute URLs they need."""

import json

from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

# The characters that could end the <script> element or open a comment inside it.
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def ld_json(data: dict) -> SafeString:
    """A JSON-LD block. It is data, not script: the CSP's script-src does not apply to it, and a
    product named "</script>…" cannot close the element (<, > and & are escaped)."""
    text = json.dumps(data, ensure_ascii=False, default=str).translate(_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 -- escaped above


def absolute(request, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else request.build_absolute_uri(url)


def product_data(request, product, images, breadcrumbs) -> dict:
    """The parts that change only with the catalog (cached with the page)."""
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description[:5000],
        "sku": product.sku,
        "url": absolute(request, product.get_absolute_url()),
        "category": f"{product.category.name} > {product.subcategory.name}",
    }
    if images:
        data["image"] = [absolute(request, i.image.url) for i in images[:5]]
    if product.brand:
        data["brand"] = {"@type": "Brand", "name": product.brand.name}
    if product.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{product.rating:.1f}",
            "reviewCount": product.rating_count,
            "bestRating": "5",
            "worstRating": "1",
        }
    crumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": n,
                "name": name,
                **({"item": absolute(request, url)} if url else {}),
            }
            for n, (name, url) in enumerate([("Home", "/"), *breadcrumbs], start=1)
        ],
    }
    return {"product": data, "breadcrumbs": crumbs}


def product_blocks(cached: dict, variant: dict, url: str) -> SafeString:
    """The page's JSON-LD with the offer as the shopper sees it now (price and stock are live)."""
    offer = {
        "@type": "Offer",
        "url": url,
        "sku": variant["sku"],
        "price": str(variant["price"]),
        "priceCurrency": settings.CURRENCY,
        "availability": "https://schema.org/InStock"
        if variant["stock"] > 0
        else "https://schema.org/OutOfStock",
        "itemCondition": "https://schema.org/NewCondition",
    }
    return mark_safe(ld_json({**cached["product"], "offers": offer}) + ld_json(cached["breadcrumbs"]))  # noqa: S308


def organization(request) -> SafeString:
    return ld_json(
        {
            "@context": "https://schema.org",
            "@type": "Organization",
            "name": settings.SHOP_NAME,
            "legalName": settings.SHOP_LEGAL_NAME,
            "url": absolute(request, "/"),
            "logo": absolute(request, static("img/og-default.png")),
        }
    )
