from unittest import mock

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from auroramart.pages.models import ContactMessage
from auroramart.pages.views import error_500

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/", "/about/", "/faq/", "/shipping-returns/", "/privacy/", "/terms/", "/contact/"]
)
def test_pages_render(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"<title>" in response.content


def test_contact_form_stores_and_emails_staff(
    client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = ["support@auroramart.test"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/contact/",
            {"name": "Ana", "email": "ana@example.test", "subject": "Late parcel", "message": "Where is it?"},
            follow=True,
        )
    assert "we have your message" in response.content.decode()
    stored = ContactMessage.objects.get()
    assert (stored.email, stored.subject) == ("ana@example.test", "Late parcel")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["support@auroramart.test"]
    assert "Where is it?" in mailoutbox[0].body


def test_contact_form_errors_are_shown_and_nothing_is_stored(client, mailoutbox):
    response = client.post("/contact/", {"name": "", "email": "not-an-email", "subject": "", "message": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "This field is required." in body
    assert 'aria-invalid="true"' in body
    assert ContactMessage.objects.count() == 0 and mailoutbox == []


def test_contact_form_needs_csrf(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/contact/", {"name": "A", "email": "a@example.test", "subject": "s", "message": "m"}
    )
    assert response.status_code == 403
    assert ContactMessage.objects.count() == 0


def test_healthz_is_liveness_only(client):
    with mock.patch(
        "auroramart.core.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_cache_broker_and_models(client, tmp_path):
    response = client.get("/readyz")
    assert response.status_code == 200
    data = response.json()
    assert data["database"]["ok"] is True and data["cache"]["ok"] is True and data["broker"]["ok"] is True
    # No trained model yet: the shop serves popularity, which is "degraded", not down.
    assert data["models"]["category"] == "fallback: popularity" and data["status"] == "degraded"
    from auroramart.recommendations import services
    from auroramart.recommendations.datasets import read_baskets_csv, read_customers_csv

    from .test_recommendations import baskets_csv, customers_csv, paired_baskets

    services.train_category_model(read_customers_csv(customers_csv(tmp_path)))
    services.train_association_model(read_baskets_csv(baskets_csv(tmp_path, *paired_baskets())))
    data = client.get("/readyz").json()
    assert data["status"] == "ok" and data["models"]["associations"].startswith("associations-")


def test_readyz_503_when_database_unreachable(client):
    with mock.patch(
        "auroramart.core.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "vendor": mock.ANY, "error": "OperationalError"}


def test_readyz_degraded_when_cache_or_broker_fails(client, settings):
    with mock.patch("auroramart.core.health.cache.set", side_effect=ConnectionError("redis down")):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["cache"]["ok"] is False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from auroramart.celery import app

    previous, app.conf.broker_url = app.conf.broker_url, settings.CELERY_BROKER_URL
    try:
        data = client.get("/readyz").json()
    finally:
        app.conf.broker_url = previous
    assert data["broker"]["ok"] is False and data["status"] == "degraded"


def test_500_page_renders_without_the_database():
    request = RequestFactory().get("/")
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError):
        response = error_500(request)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_unhandled_error_gives_the_500_page(client, settings):
    client.raise_request_exception = False
    with mock.patch("auroramart.pages.views.home_sections", side_effect=RuntimeError("boom")):
        response = client.get("/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_flash_messages_are_made_only_by_requests_that_add_or_show_one(client, monkeypatch):
    """#23: the message storage is made on first use. A request that neither adds nor shows a
    message makes none and leaves a pending message where it is; the next page shows it once."""
    from auroramart.core import middleware

    from .factories import ProductFactory

    made = []
    real = middleware.default_storage
    monkeypatch.setattr(
        middleware, "default_storage", lambda request: made.append(request.path) or real(request)
    )
    product = ProductFactory()
    assert client.get("/healthz").status_code == 200 and made == []
    client.post("/checkout/cart/add/", {"product_id": product.pk})  # "... is in your cart"
    assert made == ["/checkout/cart/add/"]
    assert client.get("/healthz").status_code == 200 and made == ["/checkout/cart/add/"]
    assert "is in your cart" in client.get("/checkout/cart/").content.decode()  # shown once
    assert "is in your cart" not in client.get("/checkout/cart/").content.decode()
