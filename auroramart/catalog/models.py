from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from auroramart.core.reversing import reverse_held


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Consumables are bought again, so recommendations may show them to past buyers.
    is_consumable = models.BooleanField(default=False)
    # The tax class of its products that name none themselves (standard when empty).
    tax_class = models.ForeignKey(
        "tax.TaxClass", on_delete=models.PROTECT, null=True, blank=True, related_name="categories"
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_held("catalog:category", slug=self.slug)


class Subcategory(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="subcategories")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "subcategories"
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="subcategory_name_per_category"),
            models.UniqueConstraint(fields=["category", "slug"], name="subcategory_slug_per_category"),
        ]

    def __str__(self):
        return f"{self.category.name} › {self.name}"

    def get_absolute_url(self):
        return reverse_held("catalog:subcategory", slug=self.category.slug, sub=self.slug)


class Brand(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class StockAndPrice:
    """Stock and price states shared by a product (its roll-ups) and a variant."""

    stock_quantity: int
    reorder_level: int
    price: Decimal
    compare_at_price: Decimal | None

    @property
    def in_stock(self) -> bool:
        return self.stock_quantity > 0

    @property
    def low_stock(self) -> bool:
        return 0 < self.stock_quantity <= self.reorder_level

    @property
    def on_sale(self) -> bool:
        return bool(self.compare_at_price and self.compare_at_price > self.price)

    @property
    def discount_percent(self) -> int:
        """How much is off the compare-at price, in whole percent (the sale badge)."""
        if not self.on_sale:
            return 0
        return int((1 - self.price / self.compare_at_price) * 100)  # type: ignore[operator]


class Product(StockAndPrice, models.Model):
    sku = models.CharField("SKU", max_length=40, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=240, unique=True)
    description = models.TextField(blank=True)
    # Category is stored beside the subcategory so that the busiest filter
    # needs no join; the catalog services keep the two consistent.
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    subcategory = models.ForeignKey(Subcategory, on_delete=models.PROTECT, related_name="products")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products", null=True, blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # Price, compare-at price and stock roll up from the product's active variants (the
    # variant is what is sold and stocked; catalog/variants.py keeps these in step): the price
    # is the lowest variant price ("from S$X" when price_max is higher), stock the sum.
    compare_at_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price_max = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    stock_quantity = models.IntegerField(default=0)
    reorder_level = models.PositiveIntegerField(default=10)
    # Its own tax class; its category's when empty (tax/selectors.py).
    tax_class = models.ForeignKey(
        "tax.TaxClass", on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    size_guide_url = models.CharField(max_length=200, blank=True, default="")
    # The option values its variants are sold in ("Navy Black S M L"), for search; kept by
    # catalog/variants.py.
    variant_terms = models.TextField(blank=True, default="")
    reorder_quantity = models.PositiveIntegerField(default=50)
    rating = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(5)],
    )
    rating_count = models.PositiveIntegerField(default=0)
    # Units sold, kept by the order service; drives "best selling".
    sold_count = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="product_stock_gte_0"),
            models.CheckConstraint(condition=Q(price__gt=0), name="product_price_gt_0"),
            models.CheckConstraint(condition=Q(rating__gte=0) & Q(rating__lte=5), name="product_rating_0_5"),
        ]
        # Every listing filters on is_active first; each sort gets an index
        # that starts with it so the planner can walk the index in order.
        indexes = [
            models.Index(fields=["is_active", "category", "price"], name="product_cat_price"),
            models.Index(fields=["is_active", "subcategory", "price"], name="product_sub_price"),
            models.Index(fields=["is_active", "brand"], name="product_brand"),
            models.Index(fields=["is_active", "price"], name="product_price"),
            models.Index(fields=["is_active", "-rating"], name="product_rating"),
            models.Index(fields=["is_active", "-created_at"], name="product_newest"),
            models.Index(fields=["is_active", "-sold_count"], name="product_best_selling"),
            models.Index(fields=["is_active", "name"], name="product_name"),
            models.Index(fields=["is_active", "is_featured"], name="product_featured"),
            models.Index(fields=["is_active", "stock_quantity"], name="product_stock"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    def get_absolute_url(self):
        return reverse_held("catalog:product", slug=self.slug)

    @property
    def has_price_range(self) -> bool:
        return bool(self.price_max and self.price_max > self.price)

    @property
    def is_new(self) -> bool:
        """Added in the last NEW_PRODUCT_DAYS (the card's "New" badge)."""
        return self.created_at >= timezone.now() - timedelta(days=settings.NEW_PRODUCT_DAYS)

    @property
    def sold_in_options(self) -> bool:
        """Sold in sizes, colours or the like: a card cannot add it without the shopper's choice."""
        return bool(self.variant_terms)

    @property
    def primary_image(self):
        """The primary image, read from a prefetch when the selector made one."""
        images = getattr(self, "primary_images", None)
        if images is not None:
            return images[0] if images else None
        return self.images.filter(is_primary=True).first()


class ProductOption(models.Model):
    """A way a product varies (Size, Colour, Storage); its values are ordered (S < M < L)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="option_name_per_product")]

    def __str__(self):
        return self.name

    @property
    def is_colour(self) -> bool:
        return self.name.lower() in COLOUR_OPTION_NAMES


# Options shown as colour swatches (on the product page and on cards).
COLOUR_OPTION_NAMES = ("colour", "color")


class ProductOptionValue(models.Model):
    option = models.ForeignKey(ProductOption, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    # A colour swatch as a hex colour ("#1f2a44"); blank for other options.
    swatch = models.CharField(
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{3,8}$", "Enter a hex colour such as #1f2a44.")],
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["option", "value"], name="option_value_once")]

    def __str__(self):
        return self.value


class ProductVariant(StockAndPrice, models.Model):
    """What is sold and stocked: one combination of the product's option values.

    A product without options has exactly one variant with no option values (its default
    variant), so every path (stock, cart, orders, returns) handles variants only.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=40, unique=True)
    option_values = models.ManyToManyField(ProductOptionValue, blank=True, related_name="variants")
    # "Size M · Navy", kept in step with the option values by catalog/variants.py; blank for a
    # default variant.
    name = models.CharField(max_length=200, blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    compare_at_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    stock_quantity = models.IntegerField(default=0)
    reorder_level = models.PositiveIntegerField(default=10)
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="variant_stock_gte_0"),
            models.CheckConstraint(condition=Q(price__gt=0), name="variant_price_gt_0"),
        ]
        indexes = [models.Index(fields=["product", "is_active", "position"], name="variant_product")]

    def __str__(self):
        return f"{self.product.name} {self.name} ({self.sku})".replace("  ", " ")

    @property
    def display_name(self) -> str:
        """The product's name with the variant's ("Hoodie (Size M · Navy)")."""
        return f"{self.product.name} ({self.name})" if self.name else self.product.name


def product_image_path(instance, filename):
    return f"products/{instance.product.sku.lower()}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    # A picture of one variant (the navy one); blank for pictures of the product as a whole.
    variant = models.ForeignKey(
        ProductVariant, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    image = models.ImageField(upload_to=product_image_path)
    thumbnail = models.ImageField(upload_to=product_image_path, blank=True)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=Q(is_primary=True), name="one_primary_image"
            )
        ]
        indexes = [models.Index(fields=["product", "is_primary"], name="image_primary")]

    def __str__(self):
        return f"Image {self.position} of {self.product.sku}"

    @property
    def thumbnail_url(self):
        return (self.thumbnail or self.image).url


class ProductSpecification(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="specifications")
    name = models.CharField(max_length=100)
    value = models.CharField(max_length=255)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="spec_name_per_product")]

    def __str__(self):
        return f"{self.name}: {self.value}"


class ProductReview(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    title = models.CharField(max_length=150)
    body = models.TextField(max_length=5000)
    is_verified_purchase = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "user"], name="one_review_per_product"),
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_5"),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-created_at"], name="review_product_status"),
            models.Index(fields=["status", "-created_at"], name="review_moderation"),
        ]

    def __str__(self):
        return f"{self.rating}★ {self.title}"
