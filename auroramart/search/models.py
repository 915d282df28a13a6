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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["results", "-created_at"], name="search_log_zero")]

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
