from django.conf import settings
from django.db import models
from django.utils import timezone


class ModelVersion(models.Model):
    """One training run: the model file on disk and what it was trained on and scored."""

    class Kind(models.TextChoices):
        CATEGORY = "category", "Preferred-category classifier"
        ASSOCIATIONS = "associations", "Frequently bought together"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.CharField(max_length=40, unique=True)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    trained_at = models.DateTimeField()
    source = models.CharField(max_length=200, help_text="shop data or the CSV file it came from")
    data_size = models.JSONField(default=dict)
    parameters = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    library_versions = models.JSONField(default=dict)
    training_seconds = models.FloatField(default=0)
    is_challenger = models.BooleanField(
        default=False, help_text="trained for an A/B test: served only to its experiment's share of shoppers"
    )

    class Meta:
        ordering = ["-trained_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-trained_at"])]

    def __str__(self):
        return self.version


class RecommendationEvent(models.Model):
    """Online tracking of a recommendation slot. Clicks are product views whose
    source is `rec-<slot>` (search.ProductView); these are the other events."""

    class Kind(models.TextChoices):
        IMPRESSION = "impression", "Impression"
        ADD_TO_CART = "add_to_cart", "Added to cart"
        PURCHASE = "purchase", "Purchase"

    slot = models.CharField(max_length=30)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    visitor = models.CharField(max_length=64, blank=True)
    items = models.PositiveSmallIntegerField(default=1, help_text="products shown, for impressions")
    revenue = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL)
    model_version = models.CharField(max_length=40, blank=True)
    experiment = models.ForeignKey(
        "recommendations.SlotExperiment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    arm = models.CharField(max_length=1, blank=True, help_text="A (the served model) or B (the challenger)")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)  # demo traffic sets its own

    class Meta:
        indexes = [
            models.Index(fields=["experiment", "arm", "kind"]),
            models.Index(fields=["slot", "kind", "created_at"]),
            models.Index(fields=["user", "kind", "created_at"]),
        ]
        constraints = [
            # A purchase is attributed once per order line, whatever retries happen.
            models.UniqueConstraint(
                fields=["order", "product"],
                condition=models.Q(kind="purchase"),
                name="rec_purchase_once_per_line",
            )
        ]

    def __str__(self):
        return f"{self.kind} in {self.slot}"


class SlotExperiment(models.Model):
    """An A/B test in one slot: arm A gets the served basket model, arm B the challenger. Each
    shopper is in the same arm every time (a hash of the experiment and the shopper)."""

    slot = models.CharField(max_length=30)
    challenger = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="experiments")
    share_b = models.PositiveSmallIntegerField(default=50, help_text="percent of shoppers in arm B")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=models.Q(ended_at__isnull=True),
                name="one_running_experiment_per_slot",
            ),
            models.CheckConstraint(
                condition=models.Q(share_b__gte=1, share_b__lte=99), name="experiment_share_between_1_and_99"
            ),
        ]

    def __str__(self):
        return f"A/B in {self.slot} against {self.challenger}"


class AIPerformanceMetrics(models.Model):
    """Offline scores of each training run (slot blank) and the daily online
    figures of each recommendation slot (filled by the analytics rollup)."""

    date = models.DateField()
    model_kind = models.CharField(max_length=20)
    model_version = models.CharField(max_length=40, blank=True)
    slot = models.CharField(max_length=30, blank=True)
    offline = models.JSONField(default=dict, blank=True)
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    add_to_carts = models.PositiveIntegerField(default=0)
    purchases = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name_plural = "AI performance metrics"
        ordering = ["-date", "slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "model_kind", "model_version", "slot"], name="ai_metrics_one_row"
            )
        ]

    def __str__(self):
        return f"{self.model_kind} {self.slot or 'offline'} {self.date}"

    @property
    def ctr(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0

    @property
    def conversion(self) -> float:
        # Per impression, not per click: a bundle can be added to the cart without a click.
        return self.purchases / self.impressions if self.impressions else 0.0
