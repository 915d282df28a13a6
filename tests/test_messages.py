"""Every message the shop sends is branded HTML with a plain-text alternative, through the
outbox; the confirmation carries the PDF tax invoice, a refund its credit note; invoices and
credit notes are numbered without gaps per year, and customers, guests and staff download them."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from auroramart.accounts.services import register_with_password
from auroramart.cart.storage import DbCart
from auroramart.inventory.tasks import notify_back_in_stock
from auroramart.loyalty.models import LoyaltyAccount
from auroramart.loyalty.services import expire_points
from auroramart.orders import services as orders
from auroramart.orders.documents import next_number
from auroramart.orders.models import DocumentSequence, Order
from auroramart.orders.services import OrderActionError, Tracking
from auroramart.staff.services import create_staff, setup_roles

from .factories import CustomerFactory, ProductFactory, StaffFactory, variant
from .placing import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(email="mei@example.test", first_name="Mei")


@pytest.fixture
def lamp():
    return ProductFactory(name="Brass Lamp", price=Decimal("80.00"), stock_quantity=5)


def bought(user, product) -> Order:
    DbCart(user).set_item(variant(product).pk, 1, product.price)
    return place(user, f"k-{Order.objects.count()}").order


def html_of(message) -> str:
    htmls = [body for body, kind in message.alternatives if kind == "text/html"]
    assert len(htmls) == 1, "one HTML alternative"
    return htmls[0]


def assert_branded(message):
    """What a reader sees: the shop's header, the text in HTML, links that work from a mail
    client; and what a mail client needs: styles inlined, a plain-text part."""
    html = html_of(message)
    assert message.body.strip() and "<" not in message.body  # a real plain-text part
    assert "<style" not in html and 'style="' in html  # CSS inlined: mail clients drop <style>
    assert "AuroraMart" in html and message.subject in html
    for href in re.findall(r'href="([^"]+)"', html):
        assert href.startswith(("http://", "https://", "mailto:")), href  # absolute, from any inbox


def trigger_welcome(customer, lamp, client):
    register_with_password(email="new@example.test", password="mangrove-sunrise-ferry-77", first_name="Ana")
    return "Welcome to AuroraMart"


def trigger_password_reset(customer, lamp, client):
    client.post("/password-reset/", {"email": customer.email})
    return "Reset"


def trigger_confirmation(customer, lamp, client):
    bought(customer, lamp)
    return "Your AuroraMart order"


def trigger_shipped(customer, lamp, client):
    order = bought(customer, lamp)
    orders.change_status(order=order, to_status="processing")
    tracking = Tracking("Ninja Van", "NV123", "https://track.example/NV123")
    orders.change_status(order=order, to_status="shipped", tracking=tracking)
    return "shipped"


def trigger_delivered(customer, lamp, client):
    order = bought(customer, lamp)
    for status in ("processing", "shipped", "delivered"):
        orders.change_status(order=order, to_status=status)
    return "delivered"


def trigger_cancelled(customer, lamp, client):
    orders.cancel_order(order=bought(customer, lamp), actor=customer, by_customer=True)
    return "cancelled"


def trigger_return(customer, lamp, client):
    order = bought(customer, lamp)
    for status in ("processing", "shipped", "delivered"):
        orders.change_status(order=order, to_status=status)
    orders.request_return(order=order, user=customer, reason="damaged")
    return "return requested"


def trigger_refund(customer, lamp, client):
    setup_roles()
    order = bought(customer, lamp)
    orders.goodwill_refund(order=order, amount=Decimal("5.00"), reason="Late parcel", actor=StaffFactory())
    return "Your refund of S$5.00"


def trigger_points_expiry(customer, lamp, client):
    bought(customer, lamp)
    LoyaltyAccount.objects.filter(user=customer).update(last_activity_at=timezone.now() - timedelta(days=350))
    expire_points()
    return "points expire on"


def trigger_back_in_stock(customer, lamp, client):
    from auroramart.accounts.models import WishlistItem

    WishlistItem.objects.create(user=customer, product=lamp)
    notify_back_in_stock([variant(lamp).pk])
    return "is back in stock"


@pytest.mark.parametrize(
    "trigger",
    [
        trigger_welcome,
        trigger_password_reset,
        trigger_confirmation,
        trigger_shipped,
        trigger_delivered,
        trigger_cancelled,
        trigger_return,
        trigger_refund,
        trigger_points_expiry,
        trigger_back_in_stock,
    ],
    ids=lambda t: t.__name__.removeprefix("trigger_"),
)
def test_every_message_is_branded_html_with_a_text_part_sent_once(
    trigger, customer, lamp, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        expected = trigger(customer, lamp, client)
    matching = [m for m in mailoutbox if expected.lower() in m.subject.lower()]
    assert len(matching) == 1, [m.subject for m in mailoutbox]
    assert_branded(matching[0])
    for message in mailoutbox:
        assert_branded(message)
    from auroramart.core.tasks import retry_unsent_emails

    count = len(mailoutbox)
    retry_unsent_emails(older_than_seconds=0)  # the periodic sweep sends nothing twice
    assert len(mailoutbox) == count


def test_the_confirmation_carries_the_pdf_invoice_and_the_shipped_email_the_tracking_button(
    customer, lamp, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = bought(customer, lamp)
    confirmation = mailoutbox[-1]
    order.refresh_from_db()
    (name, content, kind), *_ = confirmation.attachments
    assert (name, kind) == (f"{order.invoice_number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF") and order.invoice_number.encode() in content
    assert "Brass Lamp" in html_of(confirmation) and "S$80.00" in html_of(confirmation)
    with django_capture_on_commit_callbacks(execute=True):
        orders.change_status(order=order, to_status="processing")
        orders.change_status(
            order=order,
            to_status="shipped",
            tracking=Tracking("Ninja Van", "NV9", "https://track.example/NV9"),
        )
    shipped = html_of(mailoutbox[-1])
    assert re.search(r'<a [^>]*href="https://track.example/NV9"[^>]*>\s*Track your parcel', shipped)
    assert "Ninja Van: NV9" in mailoutbox[-1].body


def test_a_tracking_link_must_be_a_web_address(customer, lamp):
    order = bought(customer, lamp)
    orders.change_status(order=order, to_status="processing")
    with pytest.raises(OrderActionError, match="web address"):
        orders.change_status(
            order=order,
            to_status="shipped",
            tracking=Tracking.from_data({"tracking_url": "javascript:alert(1)"}),
        )
    order.refresh_from_db()
    assert order.status == "processing" and order.tracking_url == ""


def test_invoice_numbers_have_no_gaps_even_when_a_payment_rolls_back(customer, lamp):
    first = bought(customer, lamp)
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("invoice", timezone.now())  # taken by a confirmation that then fails...
        raise RuntimeError
    second = bought(customer, lamp)  # ...so the next order gets the next number, not one after a gap
    first.refresh_from_db()
    year = timezone.localdate().year
    assert (first.invoice_number, second.invoice_number) == (f"INV-{year}-000001", f"INV-{year}-000002")
    assert DocumentSequence.objects.get(kind="invoice", year=year).last == 2


def test_each_year_starts_again_at_one(customer):
    new_year = timezone.now().replace(year=2031, month=1, day=1, hour=12)
    assert next_number("invoice", new_year) == "INV-2031-000001"
    assert next_number("credit_note", new_year) == "CN-2031-000001"
    assert next_number("invoice", new_year) == "INV-2031-000002"


def test_invoices_and_credit_notes_download_as_pdf_for_who_may_see_them(client, customer, lamp):
    setup_roles()
    order = bought(customer, lamp)
    credit = orders.goodwill_refund(order=order, amount=Decimal("5.00"), reason="Late", actor=StaffFactory())
    order.refresh_from_db()
    credit.refresh_from_db()
    assert credit.document_number == f"CN-{timezone.localdate().year}-000001"
    invoice_url = f"/orders/{order.number}/invoice.pdf"
    credit_url = f"/orders/{order.number}/credit-notes/{credit.number}.pdf"
    client.force_login(customer)
    for url, number in ((invoice_url, order.invoice_number), (credit_url, credit.document_number)):
        answer = client.get(url)
        assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF") and number.encode() in answer.content
        assert answer["Cache-Control"] == "private, no-store"
    client.force_login(CustomerFactory())  # someone else
    assert client.get(invoice_url).status_code == 404 and client.get(credit_url).status_code == 404
    client.force_login(create_staff(email="svc@staff.test", password="x-long-password-1", role="Service"))
    assert client.get(f"/admin-panel/orders/{order.number}/invoice.pdf").status_code == 200
    assert (
        client.get(f"/admin-panel/orders/{order.number}/credit-notes/{credit.number}.pdf").status_code == 200
    )


def test_a_guest_downloads_their_invoice_through_their_signed_link(client, lamp):
    from auroramart.orders.guests import guest_link

    from .placing import guest_cart, place_as_guest

    order = place_as_guest(guest_cart((variant(lamp), 1)), "guest-pdf").order
    link = guest_link(order, emailed=True)
    page = client.get(link).content.decode()
    pdf = re.search(r'href="(/orders/guest/[^"]+/invoice\.pdf)"', page).group(1)
    answer = client.get(pdf)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert client.get(pdf.replace("/orders/guest/", "/orders/guest/x")).status_code == 404
