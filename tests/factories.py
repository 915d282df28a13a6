from decimal import Decimal

import factory
from django.utils.text import slugify

from auroramart.accounts.models import User
from auroramart.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    ProductReview,
    ProductSpecification,
    Subcategory,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(UserFactory):
    """A customer with a complete demographic profile."""

    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")


class StaffFactory(UserFactory):
    is_staff = True


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.CustomerProfile"

    user = factory.SubFactory(UserFactory)
    age = 30
    gender = "Female"
    employment_status = "Full-time"
    occupation = "Tech"
    education = "Bachelor"
    household_size = 2
    has_children = False
    monthly_income_sgd = Decimal("5000.00")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Address"

    user = factory.SubFactory(UserFactory)
    full_name = "Test Person"
    phone = "+65 9123 4567"
    line1 = "1 Orchard Road"
    postal_code = "238801"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class SubcategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subcategory
        django_get_or_create = ("category", "name")

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Subcategory {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"TST-{n:06d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttribute(lambda o: slugify(f"{o.name} {o.sku}"))
    description = "A product for tests."
    subcategory = factory.SubFactory(SubcategoryFactory)
    category = factory.LazyAttribute(lambda o: o.subcategory.category)
    brand = factory.SubFactory(BrandFactory)
    price = Decimal("10.00")
    stock_quantity = 50
    reorder_level = 5

    @factory.post_generation
    def opening_stock(obj, create, extracted, **kwargs):
        """Its default variant, as in the shop; stock enters through the ledger, so stock
        always equals its ledger."""
        if create:
            from auroramart.catalog.variants import create_default_variants
            from auroramart.inventory.services import record_opening_stock

            obj.refresh_from_db()
            record_opening_stock(create_default_variants([obj]))
            obj.refresh_from_db()


def variant(product):
    """A product's default variant (factories make one per product)."""
    return product.variants.order_by("position", "pk").first()


def set_stock(product_or_variant, quantity: int) -> None:
    """Bring a variant (or a product's only variant) to `quantity` through the stock ledger."""
    from auroramart.catalog.models import Product
    from auroramart.inventory.services import set_stock_levels

    target = variant(product_or_variant) if isinstance(product_or_variant, Product) else product_or_variant
    set_stock_levels({target.pk: quantity}, kind="adjustment", reason="test")
    product_or_variant.refresh_from_db()


def make_variants(product, options: dict[str, list[str]], *, stock: int = 5, prices=None):
    """Give a product options and the full matrix of variants through the staff services."""
    from auroramart.catalog import variant_services
    from auroramart.inventory.services import edit_variants

    variant_services.set_options(product=product, options=options, actor=None)
    variants = variant_services.generate_variants(product=product, actor=None)
    rows = {v.pk: {"stock_quantity": stock} for v in variants}
    for v in variants:
        if prices and v.name in prices:
            rows[v.pk]["price"] = prices[v.name]
    edit_variants(product=product, rows=rows, actor=None)
    product.refresh_from_db()
    return list(product.variants.filter(is_active=True).order_by("position", "pk"))


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=40, height=40, color="teal", format="JPEG")
    thumbnail = factory.django.ImageField(width=20, height=20, color="teal", format="JPEG")
    is_primary = True


class SpecificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductSpecification

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Spec {n}")
    value = "Value"


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductReview

    product = factory.SubFactory(ProductFactory)
    user = factory.SubFactory(UserFactory)
    rating = 5
    title = "Great"
    body = "Works well."
    status = ProductReview.Status.APPROVED
