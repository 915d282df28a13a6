"""Whether htmx sent a request is asked in one place (core/htmx.py), from the WSGI environ
rather than Django's `request.headers`, which builds a dict of every header on first use
(#23, eleventh round)."""

from pathlib import Path

from django.test import RequestFactory

from auroramart.core.htmx import htmx_target, is_htmx

APP = Path(__file__).resolve().parent.parent / "auroramart"


def test_htmx_is_recognised_by_its_own_headers_as_django_reads_them():
    factory = RequestFactory()
    swap = factory.get("/item/kettle/", headers={"HX-Request": "true", "HX-Target": "buy-box"})
    assert is_htmx(swap) and htmx_target(swap) == "buy-box"
    assert swap.headers["HX-Request"] == "true"  # what Django itself reads from the same request
    plain = factory.get("/item/kettle/")
    assert not is_htmx(plain) and htmx_target(plain) == ""


def test_no_view_asks_django_for_an_htmx_header_itself():
    asking = [
        f"{path.relative_to(APP)}:{number}"
        for path in APP.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if 'headers.get("HX-' in line or 'headers["HX-' in line and "response" not in line
    ]
    assert asking == []
