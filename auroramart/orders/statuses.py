"""The order statuses' rules: which changes the workflow allows, who may cancel when."""

from .models import Order

S = Order.Status

TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.PROCESSING, S.SHIPPED, S.CANCELLED},
    S.PROCESSING: {S.SHIPPED, S.CANCELLED},
    S.SHIPPED: {S.DELIVERED},
    S.DELIVERED: {S.RETURN_REQUESTED},
    S.RETURN_REQUESTED: {S.RETURNED, S.DELIVERED},
    S.RETURNED: {S.REFUNDED},
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}
CANCELLABLE = {S.PENDING_PAYMENT, S.PAID, S.PROCESSING}
# A customer cannot cancel while the card is being charged: the charge and the
# cancellation would race. Staff can; the payment is then settled first (see cancel_order).
CUSTOMER_CANCELLABLE = {S.PAID, S.PROCESSING}
# Statuses in which a captured payment is owed back in full.
ENDED_WITHOUT_SALE = {S.CANCELLED, S.REFUNDED}
