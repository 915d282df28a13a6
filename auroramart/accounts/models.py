from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """One account table for customers and staff; `is_staff` separates them.

    A staff account never uses customer features and a customer account never
    reaches the admin panel: the access decorators enforce that split.
    """

    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [models.Index(fields=["is_staff", "date_joined"])]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self):
        return self.first_name or self.email.split("@")[0]


# The eight demographic fields of the AuroraMart customer file, in its order: the profile's
# form, the API, campaign audiences and the category model's features all read this list.
DEMOGRAPHIC_FIELDS = (
    "age",
    "gender",
    "employment_status",
    "occupation",
    "education",
    "household_size",
    "has_children",
    "monthly_income_sgd",
)
CATEGORICAL_DEMOGRAPHICS = ("gender", "employment_status", "occupation", "education")
NUMERIC_DEMOGRAPHICS = tuple(f for f in DEMOGRAPHIC_FIELDS if f not in CATEGORICAL_DEMOGRAPHICS)


class CustomerProfile(models.Model):
    """The eight demographic fields of the AuroraMart customer data, and preferences."""

    class Gender(models.TextChoices):
        MALE = "Male", "Male"
        FEMALE = "Female", "Female"

    class Employment(models.TextChoices):
        FULL_TIME = "Full-time", "Full-time"
        PART_TIME = "Part-time", "Part-time"
        STUDENT = "Student", "Student"
        SELF_EMPLOYED = "Self-employed", "Self-employed"
        RETIRED = "Retired", "Retired"

    class Occupation(models.TextChoices):
        SALES = "Sales", "Sales"
        SERVICE = "Service", "Service"
        ADMIN = "Admin", "Admin"
        TECH = "Tech", "Tech"
        EDUCATION = "Education", "Education"
        SKILLED_TRADES = "Skilled Trades", "Skilled Trades"

    class Education(models.TextChoices):
        SECONDARY = "Secondary", "Secondary"
        DIPLOMA = "Diploma", "Diploma"
        BACHELOR = "Bachelor", "Bachelor"
        MASTER = "Master", "Master"
        DOCTORATE = "Doctorate", "Doctorate"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    age = models.PositiveSmallIntegerField()
    gender = models.CharField(max_length=10, choices=Gender.choices)
    employment_status = models.CharField(max_length=20, choices=Employment.choices)
    occupation = models.CharField(max_length=20, choices=Occupation.choices)
    education = models.CharField(max_length=20, choices=Education.choices)
    household_size = models.PositiveSmallIntegerField()
    has_children = models.BooleanField(default=False)
    monthly_income_sgd = models.DecimalField(max_digits=12, decimal_places=2)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    marketing_opt_in = models.BooleanField(default=False)
    preferred_categories = models.ManyToManyField("catalog.Category", blank=True, related_name="preferred_by")
    # Filled by the recommendations app: [{"category": name, "probability": p}, ...]
    predicted_categories = models.JSONField(default=list, blank=True)
    prediction_model_version = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(age__gte=18, age__lte=100), name="profile_age_18_100"),
            models.CheckConstraint(
                condition=models.Q(household_size__gte=1, household_size__lte=10),
                name="profile_household_1_10",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_income_sgd__gte=0), name="profile_income_gte_0"
            ),
        ]

    def __str__(self):
        return f"Profile of {self.user.email}"


class Address(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=40, blank=True, help_text="e.g. Home, Office")
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=20)
    line1 = models.CharField("Address line 1", max_length=200)
    line2 = models.CharField("Address line 2", max_length=200, blank=True)
    postal_code = models.CharField(max_length=12)
    city = models.CharField(max_length=80, default="Singapore")
    region = models.CharField("State or region", max_length=80, blank=True)
    country = CountryField(default="SG")
    is_default_shipping = models.BooleanField("Default shipping address", default=False)
    is_default_billing = models.BooleanField("Default billing address", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default_shipping", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default_shipping=True),
                name="one_default_shipping_address",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default_billing=True),
                name="one_default_billing_address",
            ),
        ]

    def __str__(self):
        return f"{self.full_name}, {self.line1}, {self.city} {self.postal_code}"

    def as_lines(self) -> list[str]:
        lines = [self.full_name, self.line1]
        if self.line2:
            lines.append(self.line2)
        place = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        lines.append(place)
        if self.country != "SG" or self.city != "Singapore":
            lines.append(self.country.name)
        return lines + [self.phone]


class WishlistItem(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="wishlist_items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="wishlisted_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="wishlist_once_per_product")]

    def __str__(self):
        return f"{self.user.email} ♥ {self.product_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        ORDER = "order", "Order"
        LOYALTY = "loyalty", "Loyalty"
        STOCK = "stock", "Back in stock"
        TIER = "tier", "Tier"
        REVIEW = "review", "Review"
        PROMOTION = "promotion", "Promotion"
        ACCOUNT = "account", "Account"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.title
