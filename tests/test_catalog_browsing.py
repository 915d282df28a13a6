import re
from decimal import Decimal

import pytest
from django.urls import reverse

from auroramart.catalog.models import Product, ProductReview

from .factories import (
    BrandFactory,
    ProductFactory,
    ProductImageFactory,
    ReviewFactory,
    SpecificationFactory,
    SubcategoryFactory,
    set_stock,
)

pytestmark = pytest.mark.django_db


def names(response):
    return [p.name for p in response.context["products"]]


@pytest.fixture
def shop():
    audio = SubcategoryFactory(name="Headphones", category__name="Electronics")
    phones = SubcategoryFactory(name="Smartphones", category=audio.category)
    tops = SubcategoryFactory(name="Tops", category__name="Fashion")
    sonara, voltix, axis = (
        BrandFactory(name="Sonara"),
        BrandFactory(name="Voltix"),
        BrandFactory(name="AxisWear"),
    )
    p = {}
    p["cheap_buds"] = ProductFactory(
        name="Budget Earbuds",
        subcategory=audio,
        brand=sonara,
        price=Decimal("19.90"),
        rating=Decimal("3.2"),
        sold_count=50,
    )
    p["anc"] = ProductFactory(
        name="ANC Headphones",
        subcategory=audio,
        brand=sonara,
        price=Decimal("299.00"),
        rating=Decimal("4.7"),
        sold_count=400,
    )
    p["studio"] = ProductFactory(
        name="Studio Headphones",
        subcategory=audio,
        brand=voltix,
        price=Decimal("149.00"),
        rating=Decimal("4.2"),
        stock_quantity=0,
        sold_count=10,
    )
    p["phone"] = ProductFactory(
        name="Voltix Phone",
        subcategory=phones,
        brand=voltix,
        price=Decimal("899.00"),
        rating=Decimal("4.5"),
        sold_count=300,
    )
    p["tee"] = ProductFactory(
        name="Crew Tee",
        subcategory=tops,
        brand=axis,
        price=Decimal("25.00"),
        rating=Decimal("4.0"),
        sold_count=100,
    )
    p["hidden"] = ProductFactory(
        name="Retired Headphones", subcategory=audio, brand=sonara, price=Decimal("50.00"), is_active=False
    )
    return p


def test_list_shows_only_active_products(client, shop):
    response = client.get("/item/")
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(
        ["Budget Earbuds", "ANC Headphones", "Studio Headphones", "Voltix Phone", "Crew Tee"]
    )
    assert "Retired Headphones" not in response.content.decode()


def test_filters_combine(client, shop):
    response = client.get(
        "/item/",
        {
            "category": "electronics",
            "brand": ["sonara", "voltix"],
            "min_price": "100",
            "max_price": "900",
            "in_stock": "1",
            "min_rating": "4",
        },
    )
    assert sorted(names(response)) == ["ANC Headphones", "Voltix Phone"]

    response = client.get(
        "/item/", {"category": "electronics", "subcategory": "headphones", "brand": "voltix"}
    )
    assert names(response) == ["Studio Headphones"]

    response = client.get("/item/", {"max_price": "30"})
    assert sorted(names(response)) == ["Budget Earbuds", "Crew Tee"]


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("price_asc", ["Budget Earbuds", "Crew Tee", "Studio Headphones", "ANC Headphones", "Voltix Phone"]),
        ("price_desc", ["Voltix Phone", "ANC Headphones", "Studio Headphones", "Crew Tee", "Budget Earbuds"]),
        ("rating", ["ANC Headphones", "Voltix Phone", "Studio Headphones", "Crew Tee", "Budget Earbuds"]),
        (
            "best_selling",
            ["ANC Headphones", "Voltix Phone", "Crew Tee", "Budget Earbuds", "Studio Headphones"],
        ),
        ("name", ["ANC Headphones", "Budget Earbuds", "Crew Tee", "Studio Headphones", "Voltix Phone"]),
    ],
)
def test_sorting(client, shop, sort, expected):
    assert names(client.get("/item/", {"sort": sort})) == expected


def test_newest_sort(client, shop):
    from datetime import timedelta

    from django.utils import timezone

    for days, key in enumerate(["tee", "phone", "anc", "studio", "cheap_buds"]):
        shop[key].created_at = timezone.now() - timedelta(days=days)
        shop[key].save()
    assert names(client.get("/item/", {"sort": "newest"})) == [
        "Crew Tee",
        "Voltix Phone",
        "ANC Headphones",
        "Studio Headphones",
        "Budget Earbuds",
    ]


def test_pagination_keeps_filters_and_covers_every_product_once(client):
    sub = SubcategoryFactory(name="Cables", category__name="Electronics")
    ProductFactory.create_batch(30, subcategory=sub, price=Decimal("5.00"))
    ProductFactory.create_batch(5, subcategory=sub, price=Decimal("500.00"))
    seen = []
    page = 1
    while True:
        response = client.get(
            "/item/", {"max_price": "10", "per_page": "12", "sort": "price_asc", "page": page}
        )
        seen += names(response)
        page_obj = response.context["page"]
        if page_obj.has_next():
            body = response.content.decode()
            assert "max_price=10" in body and f"page={page + 1}" in body  # the next link keeps the filters
            page += 1
        else:
            break
    assert page == 3
    assert len(seen) == 30 and len(set(seen)) == 30


def test_out_of_range_and_bad_page_numbers_give_a_real_page(client, shop):
    assert client.get("/item/", {"page": "999"}).context["page"].number == 1
    assert client.get("/item/", {"page": "abc"}).status_code == 200


def test_bad_filter_values_are_reported_and_ignored(client, shop):
    response = client.get(
        "/item/",
        {
            "min_price": "cheap",
            "max_price": "-3",
            "min_rating": "9",
            "sort": "nonsense",
            "brand": "no-such-brand",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"min_price", "max_price", "min_rating", "sort", "brand"}
    assert len(names(response)) == 5  # all invalid filters ignored, nothing lost
    assert "Enter a number." in response.content.decode()


def test_min_above_max_is_an_error(client, shop):
    response = client.get("/item/", {"min_price": "100", "max_price": "10"})
    assert "must not be below the minimum" in response.content.decode()


def test_category_and_subcategory_pages(client, shop):
    response = client.get(reverse("catalog:category", kwargs={"slug": "electronics"}))
    assert response.status_code == 200
    assert sorted(names(response)) == [
        "ANC Headphones",
        "Budget Earbuds",
        "Studio Headphones",
        "Voltix Phone",
    ]
    assert "<title>Electronics" in response.content.decode()
    response = client.get("/category/electronics/headphones/", {"sort": "price_asc"})
    assert names(response) == ["Budget Earbuds", "Studio Headphones", "ANC Headphones"]
    assert 'aria-current="page">Headphones' in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/category/nope/",
        "/category/electronics/nope/",
        "/category/fashion/headphones/",
        "/item/no-such-product/",
    ],
)
def test_unknown_pages_are_404_with_the_shop_page(client, shop, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


def test_inactive_product_is_404(client, shop):
    assert client.get(shop["hidden"].get_absolute_url()).status_code == 404


def test_inactive_category_is_404(client, shop):
    category = shop["tee"].category
    category.is_active = False
    category.save()
    assert client.get(category.get_absolute_url()).status_code == 404


def test_product_detail_shows_everything_a_shopper_needs(client, shop):
    product = shop["anc"]
    SpecificationFactory(product=product, name="Battery life", value="30 hours")
    ProductImageFactory(product=product, alt_text="ANC headphones, front")
    ProductImageFactory(product=product, is_primary=False, position=1, alt_text="ANC headphones, side")
    ReviewFactory(product=product, rating=5, title="Superb silence")
    ReviewFactory(product=product, rating=4, title="Comfy")
    ReviewFactory(product=product, rating=1, title="Spam review", status=ProductReview.Status.PENDING)
    response = client.get(product.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>ANC Headphones by Sonara" in body
    assert '<meta name="description"' in body
    assert "Battery life" in body and "30 hours" in body
    assert "Superb silence" in body and "Comfy" in body
    assert "Spam review" not in body  # only approved reviews
    assert response.context["distribution"]["total"] == 2
    assert [r["count"] for r in response.context["distribution"]["rows"]] == [1, 1, 0, 0, 0]
    assert 'alt="ANC headphones, front"' in body and 'alt="ANC headphones, side"' in body
    assert "S$299.00" in body
    assert "Studio Headphones" in body  # related product in the same subcategory
    assert 'aria-label="Breadcrumb"' in body


def test_stock_states_are_shown(client, shop):
    assert "Out of stock" in client.get(shop["studio"].get_absolute_url()).content.decode()
    set_stock(shop["tee"], 3)
    assert "Only 3 left" in client.get(shop["tee"].get_absolute_url()).content.decode()


def test_base_layout_has_header_menu_and_footer(client, shop):
    body = client.get("/").content.decode()
    assert 'role="search"' in body and 'for="search-q"' in body
    assert 'aria-label="Categories"' in body and "/category/electronics/" in body
    for path in ["/about/", "/contact/", "/faq/", "/shipping-returns/", "/privacy/", "/terms/"]:
        assert f'href="{path}"' in body
    assert "Skip to main content" in body
    # Nothing from another host (a CDN): every src and href is our own. (Not a search for "cdn":
    # a random CSRF token can contain those letters.)
    assert not re.search(r'(?:src|href)="(?:https?:)?//(?!testserver[/"])', body)


def test_home_page_sections(client, shop):
    shop["phone"].is_featured = True
    shop["phone"].save()
    response = client.get("/")
    sections = response.context["sections"]
    assert [p.name for p in sections["featured"]] == ["Voltix Phone"]
    assert sections["best_sellers"][0].name == "ANC Headphones"
    assert "Retired Headphones" not in [p.name for s in sections.values() for p in s]


def test_product_page_has_one_buy_box(client, shop):
    body = client.get(shop["anc"].get_absolute_url()).content.decode()
    assert body.count('id="buy-box"') == 1
    assert body.count('id="add-to-cart"') == 1  # (related products' cards have their own quick add)
    assert body.count("Sign in to save to your wishlist") == 1


def test_cards_wear_sale_new_and_sold_out_badges_and_offer_a_quick_add(client, shop):
    """#24: badges (sale, low stock, sold out, new) and quick add from the card."""
    from datetime import timedelta

    from django.utils import timezone

    from .factories import make_variants

    ProductFactory(name="Kettle on Sale", price=Decimal("30.00"), compare_at_price=Decimal("40.00"))
    old = ProductFactory(name="Old Lamp", price=Decimal("20.00"))
    Product.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))
    ProductFactory(name="Gone Vase", price=Decimal("15.00"), stock_quantity=0)
    hoodie = ProductFactory(name="Zip Hoodie", price=Decimal("59.00"))
    make_variants(hoodie, {"Size": ["S", "M"]})
    body = client.get("/item/", {"per_page": "48"}).content.decode()

    def card(name):
        start = body.index(f">{name}</a>")
        return body[body.rfind("<article", 0, start) : body.index("</article>", start)]

    assert "Sale −25%" in card("Kettle on Sale") and ">New<" in card("Kettle on Sale")
    assert ">New<" not in card("Old Lamp") and "Sale" not in card("Old Lamp")
    assert "Sold out" in card("Gone Vase") and "Add to cart" not in card("Gone Vase")
    assert 'Add to cart<span class="sr-only">: Old Lamp</span>' in card("Old Lamp")
    assert "Choose options" in card("Zip Hoodie") and "Add to cart" not in card("Zip Hoodie")


def test_home_opens_on_the_hero_and_category_tiles_with_pictures(client, shop):
    from .factories import ProductImageFactory

    ProductImageFactory(product=shop["anc"])
    body = client.get("/").content.decode()
    hero, tiles, personal = (
        body.index('class="hero'),
        body.index('id="cat-heading"'),
        body.index('id="home-recommendations"'),
    )
    assert hero < tiles < personal
    electronics = body[tiles : body.index("</section>", tiles)]
    assert re.search(
        r'href="/category/electronics/"[^>]*>\s*<figure[^>]*><img src="/media/[^"]+\.jpg"', electronics
    )


def test_a_listing_fetches_its_first_row_of_pictures_at_once_and_the_rest_lazily(client):
    """The first row of a listing (two cards on a phone) is what a shopper sees first and the
    page's largest paint: those pictures are fetched at once, with high priority; every picture
    below them waits until it is scrolled near."""
    for n in range(6):
        ProductImageFactory(product=ProductFactory(name=f"Lamp {n}"), is_primary=True)
    for url in ("/item/", "/item/?q=lamp"):
        pictures = re.findall(r"<img [^>]*>", client.get(url).content.decode().split('id="product-grid"')[1])
        assert len(pictures) == 6, url
        assert all('fetchpriority="high"' in p and 'loading="lazy"' not in p for p in pictures[:2]), url
        assert all('loading="lazy"' in p and "fetchpriority" not in p for p in pictures[2:]), url
