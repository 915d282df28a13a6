"""Found by search engines, shown well when shared (#24): sitemap.xml, robots.txt, JSON-LD
(Product with its live Offer and AggregateRating, BreadcrumbList, Organization), canonical
URLs and Open Graph tags."""

import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.test import Client

from auroramart.catalog.models import Product

from .factories import ProductFactory, set_stock

pytestmark = pytest.mark.django_db
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def ld_blocks(html: str) -> list[dict]:
    return [
        json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def meta(html: str, prop: str) -> str:
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return found.group(1) if found else ""


def test_the_sitemap_index_lists_sections_that_list_every_live_product_and_category():
    shown = ProductFactory(name="Glass Kettle")
    hidden = ProductFactory(name="Old Kettle", is_active=False)
    client = Client()
    index = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 (our own sitemap)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert {s.rsplit("/", 1)[1] for s in sections} == {
        "sitemap-pages.xml",
        "sitemap-categories.xml",
        "sitemap-products.xml",
    }
    products = ET.fromstring(client.get("/sitemap-products.xml").content)  # noqa: S314
    urls = [u.find(f"{SITEMAP}loc").text for u in products.iter(f"{SITEMAP}url")]
    assert f"http://testserver{shown.get_absolute_url()}" in urls
    assert not any(hidden.get_absolute_url() in u for u in urls)
    assert all(u.find(f"{SITEMAP}lastmod") is not None for u in products.iter(f"{SITEMAP}url"))
    categories = client.get("/sitemap-categories.xml").content.decode()
    assert shown.category.get_absolute_url() in categories and f"/{shown.subcategory.slug}/" in categories
    for url in re.findall(
        r"<loc>http://testserver([^<]+)</loc>", client.get("/sitemap-pages.xml").content.decode()
    ):
        assert client.get(url).status_code == 200, url


def test_robots_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for path in ("/admin-panel/", "/checkout/payment/", "/api/", "/orders/", "/profile/"):
        assert f"Disallow: {path}\n" in body
    assert "Disallow: /item/" not in body and "Sitemap: http://testserver/sitemap.xml" in body


def test_a_product_page_describes_the_product_its_live_offer_rating_and_path(client):
    kettle = ProductFactory(
        name="Glass Kettle", price=Decimal("40.00"), rating=Decimal("4.5"), rating_count=12
    )
    html = client.get(kettle.get_absolute_url()).content.decode()
    blocks = {b["@type"]: b for b in ld_blocks(html)}
    product = blocks["Product"]
    assert product["name"] == "Glass Kettle" and product["sku"] == kettle.sku
    assert product["offers"]["price"] == "40.00" and product["offers"]["priceCurrency"] == "SGD"
    assert product["offers"]["availability"] == "https://schema.org/InStock"
    assert product["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "4.5",
        "reviewCount": 12,
        "bestRating": "5",
        "worstRating": "1",
    }
    crumbs = [item["name"] for item in blocks["BreadcrumbList"]["itemListElement"]]
    assert crumbs == ["Home", "Products", kettle.category.name, kettle.subcategory.name, "Glass Kettle"]
    assert re.search(rf'<link rel="canonical" href="http://testserver{kettle.get_absolute_url()}">', html)
    assert meta(html, "og:type") == "product" and meta(html, "og:title") == "Glass Kettle"
    assert meta(html, "og:image").startswith("http://testserver/")

    # The offer is read live, like the price on the page: a sell-out shows at once, cache or not.
    set_stock(kettle, 0)
    Product.objects.filter(pk=kettle.pk).update(price=Decimal("35.00"))
    from auroramart.catalog.selectors import forget_live_product

    forget_live_product(kettle.pk)
    again = {b["@type"]: b for b in ld_blocks(client.get(kettle.get_absolute_url()).content.decode())}
    assert again["Product"]["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_the_held_offer_follows_the_catalogue_and_the_host(client):
    """#23: the JSON-LD is made with the buy box it sits in, which is held for what it shows;
    a catalogue change (a new rating) and another host each get their own."""
    kettle = ProductFactory(name="Steel Kettle", rating=Decimal("4.0"), rating_count=3)
    first = {b["@type"]: b for b in ld_blocks(client.get(kettle.get_absolute_url()).content.decode())}
    assert first["Product"]["aggregateRating"]["ratingValue"] == "4.0"
    kettle.rating, kettle.rating_count = Decimal("2.5"), 4
    kettle.save()  # a catalogue write: the page's part and its JSON-LD are made again
    again = {b["@type"]: b for b in ld_blocks(client.get(kettle.get_absolute_url()).content.decode())}
    assert again["Product"]["aggregateRating"]["ratingValue"] == "2.5"
    assert again["Product"]["offers"]["url"].startswith("http://testserver/")
    elsewhere = client.get(kettle.get_absolute_url(), HTTP_HOST="localhost").content.decode()
    offer = {b["@type"]: b for b in ld_blocks(elsewhere)}["Product"]["offers"]
    assert offer["url"] == f"http://localhost{kettle.get_absolute_url()}"


def test_a_name_cannot_break_out_of_the_json_ld(client):
    product = ProductFactory(name='Kettle </script><script>alert("x")</script> & <b>')
    html = client.get(product.get_absolute_url()).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert {b["@type"] for b in ld_blocks(html)} >= {"Product", "BreadcrumbList"}
    assert next(b for b in ld_blocks(html) if b["@type"] == "Product")["name"] == product.name


def test_home_names_the_shop_and_every_page_has_a_canonical_and_a_preview(client):
    product = ProductFactory()
    home = client.get("/").content.decode()
    organization = next(b for b in ld_blocks(home) if b["@type"] == "Organization")
    assert organization["name"] == "AuroraMart" and organization["url"] == "http://testserver/"
    assert client.get(organization["logo"].removeprefix("http://testserver")).status_code == 200
    listing = client.get("/item/", {"sort": "price_asc", "page": "1", "utm_source": "x"}).content.decode()
    assert '<link rel="canonical" href="http://testserver/item/">' in listing
    category = client.get(product.category.get_absolute_url(), {"page": "2"}).content.decode()
    assert (
        f'<link rel="canonical" href="http://testserver{product.category.get_absolute_url()}?page=2">'
        in category
    )
    for html in (home, listing):
        assert meta(html, "og:image") == "http://testserver/static/img/og-default.png"
        assert meta(html, "twitter:card") == "summary_large_image"
