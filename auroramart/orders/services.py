"""Orders' services, the one entry point for the storefront, the panel, the API, tasks and
commands: placement (placement.py), settlement (settlement.py), the workflow (workflow.py), returns and credit notes (returns.py),
with their errors, events and status rules. Each lives in its own module; this one only
gathers them."""

from .errors import CartAlreadyPlaced, CheckoutError, OrderActionError, PaymentFailed, PlacementInProgress
from .placement import (
    Placement,
    ShippingAddress,
    new_order_number,
    on_payment_failed,
    on_payment_succeeded,
    order_key,
    place_order,
    resolve_pending_orders,
    settle_payment,
)
from .returns import (
    can_request_return,
    decide_return,
    goodwill_refund,
    pay_credit_note,
    receive_return,
    request_return,
    retry_refunds,
    unpaid_credit_notes,
)
from .settlement import (
    on_payment_disputed,
    refund_if_charged,
    refund_payment,
    refunds_owed,
    settle_orphan_charge,
)
from .statuses import CANCELLABLE, CUSTOMER_CANCELLABLE, ENDED_WITHOUT_SALE, TRANSITIONS
from .workflow import (
    Tracking,
    add_order_note,
    allowed_transitions,
    anonymise_orders,
    bought,
    cancel_order,
    change_status,
    email_customer_about,
    refund_order,
)

__all__ = [
    "Tracking",
    "on_payment_disputed",
    "on_payment_failed",
    "on_payment_succeeded",
    "settle_payment",
    "CANCELLABLE",
    "CUSTOMER_CANCELLABLE",
    "ENDED_WITHOUT_SALE",
    "TRANSITIONS",
    "CartAlreadyPlaced",
    "CheckoutError",
    "OrderActionError",
    "PaymentFailed",
    "Placement",
    "PlacementInProgress",
    "ShippingAddress",
    "add_order_note",
    "allowed_transitions",
    "anonymise_orders",
    "bought",
    "can_request_return",
    "cancel_order",
    "change_status",
    "decide_return",
    "email_customer_about",
    "goodwill_refund",
    "new_order_number",
    "order_key",
    "pay_credit_note",
    "place_order",
    "receive_return",
    "refund_if_charged",
    "refund_order",
    "refund_payment",
    "refunds_owed",
    "request_return",
    "resolve_pending_orders",
    "retry_refunds",
    "settle_orphan_charge",
    "unpaid_credit_notes",
]
