"""Every whole page the shop writes names its stylesheet in a `Link: rel=preload` header, the same
file its <link rel="stylesheet"> loads (core/middleware.py). A phone then fetches the sheet as the
page's headers arrive, and lays the page out once, with its styles, instead of once without them
and again with them (#23). Fragments, JSON, CSV and static files carry no such header."""

import re

import pytest

from auroramart.core.middleware import STYLESHEET
from auroramart.staff.services import create_staff, setup_roles

from .factories import ProductFactory

pytestmark = pytest.mark.django_db
SHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


@pytest.fixture
def product():
    return ProductFactory(name="Reading lamp", description="A warm lamp for reading")


def sheet_in(response) -> str:
    found = SHEET.findall(response.content.decode())
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "page",
    [
        "home",
        "home, held whole",
        "listing",
        "search",
        "product",
        "cart",
        "checkout",
        "no such page",
        "staff sign-in",
    ],
)
def test_every_page_names_the_stylesheet_it_loads_in_a_preload_header(page, client, product):
    paths = {
        "home": "/",
        "home, held whole": "/",
        "listing": "/item/",
        "search": "/item/?q=lamp",
        "product": product.get_absolute_url(),
        "cart": "/checkout/cart/",
        "checkout": "/checkout/checkout/",
        "no such page": "/item/no-such-thing/",
        "staff sign-in": "/admin-panel/login/",
    }
    if page == "checkout":
        client.post("/checkout/cart/add/", {"product_id": product.pk, "quantity": 1})
    if page == "home, held whole":
        client.get("/")  # an anonymous visitor's second look is answered before the view
    response = client.get(paths[page])
    assert response.status_code in (200, 404), response.status_code
    href = sheet_in(response)
    assert href.endswith(".css") and STYLESHEET.rsplit(".", 1)[0] in href
    assert response["Link"] == f"<{href}>; rel=preload; as=style"


def test_an_admin_panel_page_names_it_too(client):
    setup_roles()
    client.force_login(create_staff(email="boss@staff.test", password="x-long-password-1", role="Superadmin"))
    response = client.get("/admin-panel/")
    assert response.status_code == 200
    assert response["Link"] == f"<{sheet_in(response)}>; rel=preload; as=style"


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/item/", {"HTTP_HX_REQUEST": "true"}),  # the filters' htmx swap: a fragment of a page
        ("/api/v1/products", {}),
        ("/api/v1/openapi.json", {}),
        ("/static/css/app.css", {}),
        ("/robots.txt", {}),
        ("/healthz", {}),
    ],
)
def test_fragments_json_and_files_carry_no_preload(path, headers, client, product):
    response = client.get(path, **headers)
    assert response.status_code == 200, path
    assert "Link" not in response
