"""Every kind of answer the shop writes reaches a client that accepts gzip compressed, and reads
back the same: pages, the API's JSON (with its ETag still answering 304), CSV exports (streamed)
and the static CSS. A phone on a slow network pays for every byte (Lighthouse measured the
uncompressed page and CSS as most of the home page's first paint)."""

import gzip

import pytest
from django.test import Client

from auroramart.staff.services import create_staff, setup_roles

from .factories import ProductFactory

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def staff_client(client):
    setup_roles()
    client.force_login(create_staff(email="boss@staff.test", password="x-long-password-1", role="Superadmin"))
    return client


@pytest.mark.parametrize(
    "path, kind, staff",
    [
        ("/", "text/html", False),
        ("/item/", "text/html", False),
        ("/item/?q=lamp", "text/html", False),
        ("/api/v1/products", "application/json", False),
        ("/api/v1/openapi.json", "application/json", False),
        ("/admin-panel/products/export/", "text/csv", True),
        ("/admin-panel/orders/export/", "text/csv", True),
        ("/static/css/app.css", "text/css", False),
    ],
)
def test_every_kind_of_answer_is_compressed_for_a_client_that_accepts_gzip(
    path, kind, staff, client, staff_client
):
    for n in range(3):
        ProductFactory(name=f"Reading lamp {n}", description="A warm lamp for reading " * 20)
    who = staff_client if staff else client
    plain = who.get(path)
    packed = who.get(path, **GZIP)
    assert plain.status_code == packed.status_code == 200, path
    assert packed["Content-Type"].startswith(kind)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    unpacked = gzip.decompress(body(packed))
    assert len(body(packed)) < len(unpacked) / 2  # text compresses well: this is worth doing
    if kind != "text/html":  # pages carry a fresh CSRF token each time
        assert unpacked == body(plain)


def test_an_api_etag_still_answers_304_to_a_client_that_accepts_gzip():
    ProductFactory(name="Reading lamp")
    app = Client()
    first = app.get("/api/v1/products", **GZIP)
    assert first["Content-Encoding"] == "gzip" and first["ETag"]
    again = app.get("/api/v1/products", HTTP_IF_NONE_MATCH=first["ETag"], **GZIP)
    assert again.status_code == 304 and again.content == b""


def test_a_client_that_does_not_accept_gzip_gets_plain_text(client):
    response = client.get("/")
    assert "Content-Encoding" not in response
    assert b"<html" in response.content
