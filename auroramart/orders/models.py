from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from auroramart.core.reversing import reverse_held


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        PAID = "paid", "Paid"
        PROCESSING = "processing", "Processing"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        RETURN_REQUESTED = "return_requested", "Return requested"
        PARTIALLY_RETURNED = "partially_returned", "Partially returned"
        RETURNED = "returned", "Returned"
        REFUNDED = "refunded", "Refunded"

    number = models.CharField(max_length=32, unique=True)
    # None for a guest's order until they create an account (orders/guests.py).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    # Where the order's emails go: the customer's address at placement, or the guest's.
    email = models.EmailField(blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True
    )

    # Snapshots: the order keeps what was agreed even if the address or prices change later.
    ship_name = models.CharField(max_length=150)
    ship_phone = models.CharField(max_length=20)
    ship_line1 = models.CharField(max_length=200)
    ship_line2 = models.CharField(max_length=200, blank=True)
    ship_postal_code = models.CharField(max_length=12)
    ship_city = models.CharField(max_length=80, default="Singapore")
    ship_region = models.CharField(max_length=80, blank=True)
    ship_country = models.CharField(max_length=2, default="SG")
    shipping_method = models.CharField(max_length=30)
    # The method as the customer chose it: its name and estimate then.
    shipping_name = models.CharField(max_length=80, blank=True)
    shipping_estimate = models.CharField(max_length=60, blank=True)

    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    points_redeemed = models.PositiveIntegerField(default=0)
    points_discount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping_fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=12, decimal_places=2)
    # The tax in the total (whatever its name: GST, VAT), and by rate: [{label, rate, taxable, tax}].
    gst_included = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    tax_lines = models.JSONField(default=list, blank=True)
    shipping_tax = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # Whether the prices were entered with the tax in them (the total then includes it) or
    # without (the tax was added on top).
    prices_include_tax = models.BooleanField(default=True)
    refunded_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # What credit notes (returns, goodwill) have promised back: the claim is made under the
    # order's row lock before the gateway is asked, so two refunds can never promise more
    # than was paid (and a CheckConstraint says so too).
    credited_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # A replacement sent at no charge for an exchange: the order it replaces.
    exchange_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="exchanges"
    )
    coupon_codes = models.JSONField(default=list, blank=True)

    placed_at = models.DateTimeField(db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # The tax invoice's number, given when the order is paid (orders/documents.py).
    invoice_number = models.CharField(max_length=20, blank=True, default="")
    # Where the parcel can be followed, given by staff when the order ships.
    carrier = models.CharField(max_length=60, blank=True, default="")
    tracking_number = models.CharField(max_length=60, blank=True, default="")
    tracking_url = models.URLField(max_length=300, blank=True, default="")
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="order_idempotency_per_user"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=models.Q(user__isnull=True),
                name="order_idempotency_guest",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_gte_0"),
            models.CheckConstraint(condition=models.Q(subtotal__gte=0), name="order_subtotal_gte_0"),
            models.CheckConstraint(
                condition=models.Q(credited_total__lte=models.F("total")), name="order_credited_lte_total"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_total__lte=models.F("total")), name="order_refunded_lte_total"
            ),
            models.UniqueConstraint(
                fields=["invoice_number"],
                condition=~models.Q(invoice_number=""),
                name="order_invoice_number_once",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-placed_at"], name="order_user_placed"),
            models.Index(fields=["status", "-placed_at"], name="order_status_placed"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        """The customer's order page; a guest's order has a signed link instead (orders/guests.py)."""
        return reverse_held("orders:detail", number=self.number)

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def merchandise_after_discounts(self) -> Decimal:
        return max(Decimal("0"), self.subtotal - self.discount_total)

    def shipping_lines(self) -> list[str]:
        lines = [self.ship_name, self.ship_line1]
        if self.ship_line2:
            lines.append(self.ship_line2)
        lines.append(" ".join(p for p in (self.ship_city, self.ship_region, self.ship_postal_code) if p))
        if self.ship_country != "SG" or self.ship_city != "Singapore":
            from django_countries import countries

            lines.append(dict(countries).get(self.ship_country, self.ship_country))
        return lines + [self.ship_phone]


# Orders that were paid for, whatever happened after (returns and refunds are
# reported separately): what analytics counts as sales and campaigns as buying.
PAID_STATUSES = (
    Order.Status.PAID,
    Order.Status.PROCESSING,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
    Order.Status.RETURN_REQUESTED,
    Order.Status.PARTIALLY_RETURNED,
    Order.Status.RETURNED,
    Order.Status.REFUNDED,
)
# Paid and not (yet) refunded: what the staff screens count as a customer's spend and
# today's takings.
UNREFUNDED_STATUSES = tuple(s for s in PAID_STATUSES if s != Order.Status.REFUNDED)
# A sale that stands: paid, and not cancelled, returned or refunded. A verified purchase
# for reviews; what earns loyalty points.
STANDING_STATUSES = (
    Order.Status.PAID,
    Order.Status.PROCESSING,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
    Order.Status.RETURN_REQUESTED,
    Order.Status.PARTIALLY_RETURNED,
)


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.SET_NULL, null=True, related_name="order_items"
    )
    # What was bought: the variant, and its SKU and names as they were then.
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.SET_NULL, null=True, related_name="order_items"
    )
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=200, blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # The line's tax: its class, the rate of the delivery zone, and the amount on what the line
    # was paid after its share of the order's discounts (rounded per line).
    tax_class = models.CharField(max_length=20, blank=True)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("0"))
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # Units that came back and were refunded, and units exchanged for another size or colour.
    returned_quantity = models.PositiveIntegerField(default=0)
    exchanged_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_gte_1"),
            models.CheckConstraint(
                condition=models.Q(
                    returned_quantity__lte=models.F("quantity") - models.F("exchanged_quantity")
                ),
                name="order_item_returned_lte_quantity",
            ),
        ]
        indexes = [models.Index(fields=["product", "order"], name="order_item_product")]

    def __str__(self):
        return f"{self.quantity} × {self.display_name}"

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.variant_name})" if self.variant_name else self.name

    @property
    def returnable_quantity(self) -> int:
        return self.quantity - self.returned_quantity - self.exchanged_quantity


class OrderStatusChange(models.Model):
    """The order's timeline: every status change, by whom and when (append-only)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=Order.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    # A default rather than auto_now_add, so imported and sample histories keep their own times.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class ReturnRequest(models.Model):
    """A customer's request to send back some units of some lines (one open at a time)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RECEIVED = "received", "Received"

    class Reason(models.TextChoices):
        DAMAGED = "damaged", "Arrived damaged or faulty"
        WRONG_ITEM = "wrong_item", "Wrong item sent"
        NOT_AS_DESCRIBED = "not_as_described", "Not as described"
        WRONG_SIZE = "wrong_size", "Wrong size or colour"
        CHANGED_MIND = "changed_mind", "No longer needed"
        OTHER = "other", "Other"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    # The order's status before the request, which a rejection goes back to.
    order_status_before = models.CharField(max_length=20, default=Order.Status.DELIVERED)
    staff_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per order: a second is refused until the first is settled.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status__in=["requested", "approved"]),
                name="one_open_return_per_order",
            )
        ]

    def __str__(self):
        return f"Return of {self.order.number}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.REQUESTED, self.Status.APPROVED)


class ReturnLine(models.Model):
    """Units of one order line in a return: asked for, approved by staff, and what to do with them."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    approved_quantity = models.PositiveIntegerField(null=True, blank=True)
    # An exchange: the other size or colour the customer wants instead of a refund.
    exchange_variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restocked = models.BooleanField(default=False)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="return_line_quantity_gte_1"),
            models.CheckConstraint(
                condition=models.Q(approved_quantity__lte=models.F("quantity")),
                name="return_line_approved_lte_quantity",
            ),
            models.UniqueConstraint(fields=["request", "item"], name="return_line_once_per_item"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.item.display_name}"

    @property
    def units(self) -> int:
        """The units that count: approved ones once staff decided, else those asked for."""
        return self.quantity if self.approved_quantity is None else self.approved_quantity


class DocumentSequence(models.Model):
    """The last number given to a kind of document in a year: invoices and credit notes are
    numbered without gaps per year (INV-2026-000001), the row locked while a number is taken
    in the transaction that makes the document, so a rollback gives the number back."""

    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="document_sequence_once")]

    def __str__(self):
        return f"{self.kind} {self.year}: {self.last}"


class CreditNote(models.Model):
    """Money promised back on an order, with what it is for (append-only): a received return,
    the rest of a refunded order, or a goodwill gesture. Each is refunded to the card it paid."""

    class Kind(models.TextChoices):
        RETURN = "return", "Return"
        REFUND = "refund", "Refund of the rest"
        GOODWILL = "goodwill", "Goodwill"

    number = models.CharField(max_length=40, unique=True)
    # The credit note's number in the year's gapless sequence (orders/documents.py).
    document_number = models.CharField(max_length=20, blank=True, default="")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="credit_notes")
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="credit_notes"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    merchandise = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    gst_included = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    points_returned = models.PositiveIntegerField(default=0)
    lines = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set once the card was refunded; a refund the gateway refused is retried by resolve_pending_orders.
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="credit_note_amount_gte_0"),
            models.UniqueConstraint(
                fields=["document_number"],
                condition=~models.Q(document_number=""),
                name="credit_note_document_number_once",
            ),
        ]

    def __str__(self):
        return self.number


class OrderNote(models.Model):
    """Staff notes on an order (the admin panel)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Note on order {self.order_id}"
