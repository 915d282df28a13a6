from django.conf import settings
from django.db import models
from django.utils import timezone


class SearchHistory(models.Model):
    """A signed-in customer's recent searches (guests keep theirs in the session)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_history"
    )
    query = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="search_history_user")]

    def __str__(self):
        return self.query


class SearchQueryLog(models.Model):
    """Every search, for popular searches and for staff to see what finds nothing."""

    query = models.CharField(max_length=200, db_index=True)
    normalised = models.CharField(max_length=200, db_index=True)
    results = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor = models.CharField(max_length=64, blank=True, help_text="who searched, to credit their click")
    clicked_at = models.DateTimeField(
        null=True, blank=True, help_text="when a result of this search was opened (within half an hour)"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["results", "-created_at"], name="search_log_zero"),
            models.Index(fields=["visitor", "-created_at"], name="search_log_visitor"),
        ]

    def __str__(self):
        return f"{self.query} ({self.results})"


class SearchSuggestion(models.Model):
    """A phrase offered as you type: staff-curated, or promoted from popular searches."""

    phrase = models.CharField(max_length=100, unique=True)
    is_curated = models.BooleanField(default=False)
    weight = models.PositiveIntegerField(
        default=0, help_text="Higher first; popular searches count their uses."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-weight", "phrase"]

    def __str__(self):
        return self.phrase


class ProductView(models.Model):
    """One view of a product page, counted once per visitor and product per half hour; bots ignored."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="views")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor = models.CharField(max_length=64, help_text="session key, or a hash of IP and user agent")
    source = models.CharField(max_length=40, blank=True, help_text="e.g. search, rec:fbt")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["product", "-created_at"], name="product_view_product"),
            models.Index(fields=["visitor", "-created_at"], name="product_view_visitor"),
        ]

    def __str__(self):
        return f"view of {self.product_id}"


class SynonymGroup(models.Model):
    """Words a shopper may use for the same thing ("earbuds, earphones"): a search for any of
    them finds what the others find. Managed by staff; the demo is seeded with common ones."""

    words = models.CharField(max_length=300, help_text="Comma-separated, e.g. earbuds, earphones")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["words"]

    def __str__(self):
        return self.words

    @property
    def word_list(self) -> list[str]:
        return [w.strip().lower() for w in self.words.split(",") if w.strip()]


class SearchPin(models.Model):
    """A product staff put first for a search (and shown for it even if its words differ)."""

    query = models.CharField(max_length=200, help_text="the normalised search, lower case")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="search_pins")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["query", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["query", "product"], name="search_pin_once")]

    def __str__(self):
        return f"{self.query} → {self.product_id}"
