"""Pinned query counts: pages cost a fixed number of SQL statements, whatever
the number of products on the page or in the catalog."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import (
    ProductFactory,
    ProductImageFactory,
    ReviewFactory,
    SpecificationFactory,
    SubcategoryFactory,
)

pytestmark = pytest.mark.django_db

LIST_QUERIES = 5  # category (form), brand list, count, page of products, primary images
DETAIL_QUERIES = 7  # product, images, specs, reviews, rating distribution, related, related images


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def build_catalog(n):
    sub = SubcategoryFactory(name="Headphones", category__name="Electronics")
    products = ProductFactory.create_batch(n, subcategory=sub)
    for product in products:
        ProductImageFactory(product=product)
    return products


@pytest.mark.parametrize("size,per_page", [(3, 12), (60, 12), (60, 48)])
def test_product_list_queries_are_fixed(client, size, per_page):
    build_catalog(size)
    client.get("/item/")  # warm the category menu cache, as in production
    assert (
        count_queries(client, "/item/", per_page=per_page, category="electronics", sort="price_asc")
        == LIST_QUERIES
    )


def test_product_list_with_more_rows_costs_the_same(client):
    build_catalog(2)
    client.get("/item/")
    small = count_queries(client, "/item/", per_page=48)
    build_catalog(40)
    large = count_queries(client, "/item/", per_page=48)
    assert small == large <= LIST_QUERIES


def test_home_page_queries_are_fixed(client):
    build_catalog(3)
    client.get("/")
    small = count_queries(client, "/")
    build_catalog(30)
    assert count_queries(client, "/") == small <= 6


@pytest.mark.parametrize("extras", [1, 12])
def test_product_detail_queries_are_fixed(client, extras):
    products = build_catalog(extras + 1)
    product = products[0]
    for i in range(extras):
        SpecificationFactory(product=product, name=f"Spec {i}")
        ReviewFactory(product=product)
        ProductImageFactory(product=product, is_primary=False, position=i + 1)
    client.get("/")
    assert count_queries(client, product.get_absolute_url()) == DETAIL_QUERIES
