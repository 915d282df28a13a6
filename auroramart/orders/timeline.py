"""The order's timeline and what the customer is told: status changes, notifications, emails."""

from django.conf import settings

from auroramart.accounts.models import Notification
from auroramart.accounts.services import notify
from auroramart.core import rows
from auroramart.core.money import format_money
from auroramart.core.outbox import queue_email

from .models import Order, OrderStatusChange
from .statuses import S


def record_change(order: Order, from_status: str, to_status: str, actor=None, note: str = "") -> None:
    """A line of the order's history (two at every placement: constant statements, #23)."""
    rows.insert(
        OrderStatusChange, order=order, from_status=from_status, to_status=to_status, actor=actor, note=note
    )


STATUS_MESSAGES = {
    S.PROCESSING: "We are preparing your order.",
    S.SHIPPED: "Your order is on its way.",
    S.DELIVERED: "Your order has been delivered.",
    S.CANCELLED: "Your order is cancelled.",
    S.RETURN_REQUESTED: "We have your return request.",
    S.RETURNED: "We have received your return.",
    S.REFUNDED: "Your refund is on its way.",
}


def tell_customer(order: Order) -> None:
    message = STATUS_MESSAGES.get(order.status)
    if not message:
        return
    title = f"Order {order.number}: {order.get_status_display().lower()}"
    notify_customer(order, title=title, body=message)
    body = message
    if order.status == S.SHIPPED and (order.tracking_number or order.tracking_url):
        body += f"\n\n{order.carrier or 'Tracking'}: {order.tracking_number}".rstrip(": ")
        if order.tracking_url:
            body += f"\nTrack your parcel:\n{order.tracking_url}"
    email_customer(order, f"AuroraMart order {order.number}: {order.get_status_display().lower()}", body)


def notify_customer(order: Order, *, title: str, body: str = "") -> None:
    """A notification in the customer's account; a guest has none (their emails tell them)."""
    if order.user_id is not None:
        notify(
            user=order.user,
            kind=Notification.Kind.ORDER,
            title=title,
            body=body,
            url=order.get_absolute_url(),
        )


def email_customer(
    order: Order,
    subject: str,
    body: str,
    *,
    template: str = "",
    context: dict | None = None,
    attachments: list[dict] | None = None,
) -> None:
    """An email to the order's address; a guest's carries the signed link to their order.
    The HTML part is `template` with `context`, or the text laid out (core/emails.py)."""
    if order.user_id is not None and not order.user.is_active:
        return
    to = order.email or (order.user.email if order.user_id else "")
    if not to:
        return
    if order.user_id is None:
        from .guests import guest_link

        link = f"{settings.SITE_URL}{guest_link(order, emailed=True)}"
    else:
        link = f"{settings.SITE_URL}{order.get_absolute_url()}"
    body += f"\n\nSee your order:\n{link}"
    queue_email(
        to=to,
        subject=subject,
        body=body,
        template=template,
        context={"order_link": link, **(context or {})},
        attachments=attachments,
    )


def confirmation_body(order: Order) -> str:
    lines = [f"Thank you for your order {order.number}.", ""]
    lines += [
        f"{item.quantity} × {item.display_name}  {format_money(item.line_total)}"
        for item in order.items.all()
    ]
    lines += [
        "",
        f"Total paid: {format_money(order.total)} (includes GST of {format_money(order.gst_included)})",
    ]
    return "\n".join(lines)
