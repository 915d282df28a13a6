from django.db import models
from django.utils import timezone


class Payment(models.Model):
    """One attempt to charge (or refund) a card. Card numbers are never stored:
    only the gateway's reference, the brand and the last four digits."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REQUIRES_ACTION = "requires_action", "Waiting for the shopper to authenticate"
        SUCCEEDED = "succeeded", "Succeeded"
        DECLINED = "declined", "Declined"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    # Not final yet: charging, or waiting for the shopper to authenticate.
    OPEN = (Status.PENDING, Status.REQUIRES_ACTION)

    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    order_number = models.CharField(max_length=32, db_index=True)
    user = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="SGD")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    gateway = models.CharField(max_length=40)
    gateway_reference = models.CharField(max_length=64, blank=True)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    message = models.CharField(max_length=255, blank=True)
    # Where the shopper authenticates (3-D Secure) while the status is requires_action, and
    # whether the card is to be saved once it pays (the shop learns that after the shopper returns).
    action_url = models.URLField(max_length=500, blank=True)
    save_card = models.BooleanField(default=False)
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)  # sample history sets its own
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_status_display()} S${self.amount} for {self.order_number}"


class SavedCard(models.Model):
    """A card a customer chose to keep for next time: the provider's payment method id and
    what the customer needs to recognise it. Never a card number."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="saved_cards")
    gateway = models.CharField(max_length=40)
    payment_method = models.CharField(max_length=100)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "payment_method"], name="saved_card_once"),
        ]

    def __str__(self):
        return f"{self.brand} ending {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"

    @property
    def expired(self) -> bool:
        today = timezone.localdate()
        return (self.exp_year, self.exp_month) < (today.year, today.month)


class PaymentCustomer(models.Model):
    """The customer's id at a provider, which saved cards are attached to."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="payment_customers")
    gateway = models.CharField(max_length=40)
    reference = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "gateway"], name="payment_customer_once"),
        ]

    def __str__(self):
        return self.reference


class WebhookEvent(models.Model):
    """A provider's webhook event, by its id: each is processed once, however often it comes."""

    gateway = models.CharField(max_length=40)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=80)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once"),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class TestGatewayPaymentMethod(models.Model):
    """The test provider's cards: what its tokenisation step made of a card in the browser
    (brand, last four, expiry and the test number's behaviour; never the number)."""

    __test__ = False

    reference = models.CharField(max_length=64, unique=True)
    behaviour = models.CharField(max_length=30)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    customer = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.reference


class TestGatewayCharge(models.Model):
    """The test gateway's own books, standing in for a card processor's database,
    so that a charge can be found again by its idempotency key after a crash."""

    __test__ = False  # not a pytest test class, despite its name

    class Status(models.TextChoices):
        REQUIRES_ACTION = "requires_action"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    reference = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUCCEEDED)
    payment_method = models.CharField(max_length=64, blank=True)
    customer = models.CharField(max_length=64, blank=True)
    save_card = models.BooleanField(default=False)
    return_url = models.CharField(max_length=500, blank=True)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.reference
