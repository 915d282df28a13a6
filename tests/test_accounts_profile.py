import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from auroramart.accounts.models import Address, CustomerProfile, Notification, User, WishlistItem
from auroramart.accounts.services import delete_customer_account, notify

from .factories import AddressFactory, CategoryFactory, CustomerFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(client):
    user = CustomerFactory(email="ravi@example.test", first_name="Ravi")
    client.force_login(user)
    return user


def picture(fmt="JPEG", size=(1200, 900), mode="RGB", name="me.jpg"):
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 80, 40) if mode == "RGB" else (200, 80, 40, 128)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_profile_edit_saves_demographics_and_preferences(client, customer):
    books, toys = CategoryFactory(name="Books"), CategoryFactory(name="Toys & Games")
    data = {
        "first_name": "Ravi",
        "last_name": "Kumar",
        "age": "45",
        "gender": "Male",
        "employment_status": "Self-employed",
        "occupation": "Skilled Trades",
        "education": "Diploma",
        "household_size": "4",
        "has_children": "1",
        "monthly_income_sgd": "7200",
        "preferred_categories": [books.pk, toys.pk],
        "marketing_opt_in": "on",
    }
    response = client.post("/profile/", data, follow=True)
    assert "Your profile is saved." in response.content.decode()
    profile = CustomerProfile.objects.get(user=customer)
    assert (profile.age, profile.employment_status, profile.has_children) == (45, "Self-employed", True)
    assert set(profile.preferred_categories.values_list("name", flat=True)) == {"Books", "Toys & Games"}
    customer.refresh_from_db()
    assert customer.last_name == "Kumar"
    bad = client.post("/profile/", {**data, "age": "12"})
    assert "You must be at least 18" in bad.content.decode()
    assert CustomerProfile.objects.get(user=customer).age == 45


@pytest.mark.parametrize(
    "fmt,mode,name", [("JPEG", "RGB", "me.jpg"), ("PNG", "RGBA", "me.png"), ("WEBP", "RGB", "me.webp")]
)
def test_real_pictures_are_accepted_re_encoded_and_resized(client, customer, fmt, mode, name):
    response = client.post("/profile/picture/", {"avatar": picture(fmt, mode=mode, name=name)}, follow=True)
    assert "Your new picture is saved." in response.content.decode()
    profile = CustomerProfile.objects.get(user=customer)
    with Image.open(profile.avatar.path) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) == 512


def bad_file(kind):
    if kind == "script renamed .jpg":
        return SimpleUploadedFile("evil.jpg", b"#!/bin/sh\nrm -rf /\n<script>alert(1)</script>", "image/jpeg")
    if kind == "svg":
        svg = (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
        )
        return SimpleUploadedFile("pic.svg", svg, "image/svg+xml")
    if kind == "gif":
        return picture("GIF", size=(50, 50), name="anim.gif")
    if kind == "pixel bomb":  # small file, 64 megapixels once decoded
        return picture("PNG", size=(8000, 8000), name="huge.png")
    if kind == "over 5 MB":
        return SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10), "image/jpeg")
    if kind == "truncated jpeg":
        data = picture().read()
        return SimpleUploadedFile("cut.jpg", data[: len(data) // 3], "image/jpeg")
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind,message",
    [
        ("script renamed .jpg", "not a picture we can read"),
        ("svg", "not a picture we can read"),
        ("gif", "Upload a JPEG, PNG or WebP picture."),
        ("pixel bomb", "too large"),
        ("over 5 MB", "the limit is 5 MB"),
        ("truncated jpeg", "not a picture we can read"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(client, customer, kind, message):
    response = client.post("/profile/picture/", {"avatar": bad_file(kind)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CustomerProfile.objects.get(user=customer).avatar


def test_addresses_keep_one_default(client, customer):
    form = {
        "label": "Home",
        "full_name": "Ravi Kumar",
        "phone": "+65 9123 4567",
        "line1": "1 Orchard Rd",
        "postal_code": "238801",
        "city": "Singapore",
    }
    client.post("/profile/addresses/new/", form)
    home = Address.objects.get(user=customer)
    assert home.is_default_shipping and home.is_default_billing  # the first address is the default
    client.post("/profile/addresses/new/", {**form, "label": "Office", "is_default_shipping": "on"})
    office = Address.objects.get(user=customer, label="Office")
    home.refresh_from_db()
    assert office.is_default_shipping and not home.is_default_shipping
    assert home.is_default_billing and not office.is_default_billing
    bad = client.post("/profile/addresses/new/", {**form, "postal_code": "12AB", "phone": "call me"})
    assert (
        "not a postal code of Singapore" in bad.content.decode() and "8 to 15 digits" in bad.content.decode()
    )
    client.post(f"/profile/addresses/{office.pk}/delete/")
    home.refresh_from_db()
    assert home.is_default_shipping  # the remaining address takes over as default


def test_another_customers_address_is_404(client, customer):
    other = AddressFactory(user=CustomerFactory())
    assert client.get(f"/profile/addresses/{other.pk}/").status_code == 404
    assert client.post(f"/profile/addresses/{other.pk}/", {"full_name": "x"}).status_code == 404
    assert client.post(f"/profile/addresses/{other.pk}/delete/").status_code == 404
    assert Address.objects.filter(pk=other.pk, full_name="Test Person").exists()


def test_wishlist_add_and_remove_without_reload(client, customer):
    product = ProductFactory(name="Trail Shoes")
    response = client.post(f"/wishlist/add/{product.pk}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Saved to wishlist" in response.content.decode()
    assert "<html" not in response.content.decode()  # a fragment, swapped in place
    client.post(f"/wishlist/add/{product.pk}/", HTTP_HX_REQUEST="true")  # twice is still once
    assert WishlistItem.objects.filter(user=customer).count() == 1
    page = client.get("/wishlist/")
    assert "Trail Shoes" in page.content.decode()
    assert 'aria-pressed="true"' in client.get(product.get_absolute_url()).content.decode()
    response = client.post(f"/wishlist/remove/{product.pk}/", {"from": "wishlist"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert not WishlistItem.objects.filter(user=customer).exists()


def test_guest_wishlist_click_is_sent_to_sign_in(client):
    client.logout()
    product = ProductFactory()
    response = client.post(f"/wishlist/add/{product.pk}/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/login/?next=")
    assert client.post(f"/wishlist/add/{product.pk}/")["Location"].startswith("/login/")


def test_notifications_inbox_and_unread_count(client, customer):
    notify(user=customer, kind=Notification.Kind.ORDER, title="Your order has shipped", url="/")
    notify(user=customer, kind=Notification.Kind.LOYALTY, title="You earned 120 points")
    notify(user=CustomerFactory(), kind="order", title="Someone else's news")
    home = client.get("/").content.decode()
    assert 'id="notification-count"' in home and "2 unread" in home
    inbox = client.get("/notifications/").content.decode()
    assert "Your order has shipped" in inbox and "Someone else" not in inbox
    first = Notification.objects.get(title="Your order has shipped")
    client.post("/notifications/read/", {"id": first.pk})
    assert "1 unread" in client.get("/").content.decode()
    client.post("/notifications/read/")
    assert 'id="notification-count"' not in client.get("/").content.decode()


def test_account_deletion_erases_personal_data_and_keeps_the_books(client, customer):
    AddressFactory(user=customer)
    product = ProductFactory()
    WishlistItem.objects.create(user=customer, product=product)
    review = ReviewFactory(user=customer, product=product, title="Lovely")
    notify(user=customer, kind="order", title="hi")
    wrong = client.post("/profile/delete/", {"password": "nope", "confirm": "on"})
    assert "That is not your password." in wrong.content.decode()
    response = client.post(
        "/profile/delete/", {"password": "correct-horse-battery", "confirm": "on"}, follow=True
    )
    assert "Your account is deleted" in response.content.decode()
    user = User.objects.get(pk=customer.pk)
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert not user.is_active and not user.has_usable_password()
    assert (user.first_name, user.last_name) == ("", "Former customer")
    assert not CustomerProfile.objects.filter(user=user).exists()
    assert not Address.objects.filter(user=user).exists()
    assert not WishlistItem.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    review.refresh_from_db()
    assert review.title == "Lovely"  # the review stays, under an anonymous name
    assert (
        client.post(
            "/login/", {"username": "ravi@example.test", "password": "correct-horse-battery"}
        ).status_code
        == 200
    )
    # the old address can register again
    assert not User.objects.filter(email="ravi@example.test").exists()


def test_deletion_tells_every_subscriber_first(customer, monkeypatch):
    from auroramart.accounts.events import CustomerErasing
    from auroramart.core import events

    seen = []
    monkeypatch.setitem(events._subscribers, CustomerErasing, [lambda event: seen.append(event.user.email)])
    delete_customer_account(user=customer)
    assert seen == ["ravi@example.test"]  # steps see the data they must anonymise


def test_the_account_overview_shows_orders_points_wishlist_and_addresses_at_a_glance(client):
    """#24: the account area had no overview."""
    from decimal import Decimal

    from auroramart.accounts.models import WishlistItem
    from auroramart.loyalty.services import open_account

    from .factories import AddressFactory, CustomerFactory, ProductFactory
    from .test_orders import buy

    user = CustomerFactory(first_name="Mei")
    open_account(user)
    AddressFactory(user=user, is_default_shipping=True, line1="1 Orchard Road")
    lamp = ProductFactory(name="Reading Lamp", price=Decimal("40.00"), stock_quantity=5)
    WishlistItem.objects.create(user=user, product=ProductFactory(name="Glass Kettle"))
    order = buy(user, lamp, quantity=1)
    client.force_login(user)
    page = client.get("/account/")
    html = page.content.decode()
    assert page.status_code == 200 and "Hello, Mei" in html
    assert order.number in html and "Glass Kettle" in html and "1 Orchard Road" in html
    assert f">{page.context['points'].balance}</span> points" in html and "Bronze" in html
    assert 'href="/account/" class="active" aria-current="page"' in html
    client.logout()
    assert client.get("/account/")["Location"].startswith("/login/")
