from decimal import Decimal

import pytest

from auroramart.catalog.models import Product, ProductReview
from auroramart.catalog.services import moderate_review

from .factories import CustomerFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(name="Cast Iron Skillet", rating=Decimal("0"))


def post_review(client, product, **data):
    return client.post(
        f"{product.get_absolute_url()}review/",
        {"rating": "4", "title": "Solid", "body": "Heats evenly.", **data},
        follow=True,
    )


def test_customer_writes_then_edits_one_review(client, product):
    customer = CustomerFactory()
    client.force_login(customer)
    response = post_review(client, product)
    assert "Your review is published." in response.content.decode()
    assert "Heats evenly." in response.content.decode()
    post_review(client, product, rating="2", title="Rusted", body="Rusted after a month.")
    review = ProductReview.objects.get()
    assert (review.rating, review.title) == (2, "Rusted")
    product.refresh_from_db()
    assert (product.rating, product.rating_count) == (Decimal("2.00"), 1)


def test_bad_review_input_is_refused(client, product):
    client.force_login(CustomerFactory())
    response = client.post(f"{product.get_absolute_url()}review/", {"rating": "9", "title": "", "body": ""})
    body = response.content.decode()
    assert "Choose a rating from 1 to 5 stars." in body and "This field is required." in body
    assert not ProductReview.objects.exists()


def test_moderation_when_auto_approval_is_off(client, product, settings):
    settings.REVIEWS_AUTO_APPROVE = False
    ReviewFactory(product=product, rating=5)  # an approved one already there
    client.force_login(CustomerFactory())
    response = post_review(client, product, rating="1", title="Awful", body="Broke at once.")
    assert "will appear once our team has checked it" in response.content.decode()
    review = ProductReview.objects.get(title="Awful")
    assert review.status == ProductReview.Status.PENDING
    assert "Broke at once." not in client.get(product.get_absolute_url()).content.decode()
    product.refresh_from_db()
    assert (product.rating, product.rating_count) == (Decimal("5.00"), 1)  # pending reviews do not count
    moderate_review(review=review, status=ProductReview.Status.APPROVED)
    product.refresh_from_db()
    assert (product.rating, product.rating_count) == (Decimal("3.00"), 2)
    assert "Broke at once." in client.get(product.get_absolute_url()).content.decode()


def test_guests_are_asked_to_sign_in(client, product):
    assert client.get(f"{product.get_absolute_url()}review/")["Location"].startswith("/login/")


def test_reviews_of_inactive_products_are_404(client):
    client.force_login(CustomerFactory())
    hidden = ProductFactory(is_active=False)
    assert client.get(f"{hidden.get_absolute_url()}review/").status_code == 404
    assert Product.objects.count() == 1
