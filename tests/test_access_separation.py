import pytest
from django.contrib.auth.models import Group

from .factories import CustomerFactory, ProductFactory, StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.access_urls")]

CUSTOMER_PAGES = [
    "/profile/",
    "/profile/addresses/",
    "/wishlist/",
    "/notifications/",
    "/profile/password/",
    "/profile/delete/",
    "/t/customer/",
]


@pytest.mark.parametrize("url", CUSTOMER_PAGES)
def test_guests_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", CUSTOMER_PAGES)
def test_staff_are_sent_to_the_admin_panel(client, url):
    client.force_login(StaffFactory())
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/admin-panel/"


def test_staff_cannot_use_customer_actions(client):
    client.force_login(StaffFactory())
    product = ProductFactory()
    assert client.post(f"/wishlist/add/{product.pk}/")["Location"] == "/admin-panel/"
    assert client.get(f"{product.get_absolute_url()}review/")["Location"] == "/admin-panel/"


def test_customers_never_reach_the_admin_panel(client):
    client.force_login(CustomerFactory())
    assert client.get("/t/admin/").status_code == 403
    assert client.get("/t/sales/").status_code == 403


def test_guests_are_sent_to_the_staff_sign_in(client):
    assert client.get("/t/admin/")["Location"].startswith("/admin-panel/login/?next=")


def test_role_required_admits_only_the_named_roles(client):
    sales, service, boss = StaffFactory(), StaffFactory(), StaffFactory()
    sales.groups.add(Group.objects.create(name="Sales"))
    service.groups.add(Group.objects.create(name="Service"))
    boss.groups.add(Group.objects.create(name="Superadmin"))
    for user, expected in [(sales, 200), (service, 403), (boss, 200)]:
        client.force_login(user)
        assert client.get("/t/sales/").status_code == expected
        assert client.get("/t/admin/").status_code == 200


def test_next_never_redirects_to_another_site(client):
    from .factories import ProductFactory

    product = ProductFactory(stock_quantity=0)  # refused, so the view redirects to `next`
    response = client.post(
        "/checkout/cart/add/", {"product_id": product.pk, "next": "https://evil.example/phish"}
    )
    assert response.status_code == 302 and response["Location"] == "/checkout/cart/"
    response = client.post("/checkout/cart/add/", {"product_id": product.pk, "next": "/item/"})
    assert response["Location"] == "/item/"
