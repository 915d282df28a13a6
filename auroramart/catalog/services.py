"""Write-side operations on the catalog, shared by the storefront, the admin panel, the API and
commands. A staff change takes the `actor` and writes its audit row in its own transaction."""

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils.text import slugify

from auroramart.core.client import Actor
from auroramart.core.events import ExtensionPoint, publish
from auroramart.core.money import quantize
from auroramart.staff.services import diff, record_audit, snapshot

from .cache import bump_catalog_version
from .events import CategoryDeleted, CategoryRenamed, ProductCreated, ReviewApproved
from .images import prepare_upload
from .models import Brand, Category, Product, ProductImage, ProductReview, ProductVariant, Subcategory
from .variants import sync_products

# What staff may change on a product, by permission (the panel's forms and the API use these).
EDIT_FIELDS = [
    "name",
    "description",
    "size_guide_url",
    "reorder_level",
    "reorder_quantity",
    "is_active",
    "is_featured",
    "tax_class",
]
PRICE_FIELDS = ["price", "compare_at_price"]


def product_slug(name: str, sku: str) -> str:
    """Canonical slug: the name for people, the SKU to make it unique and stable."""
    return slugify(f"{name} {sku}")[:240]


@transaction.atomic
def add_product_image(
    *,
    product: Product,
    data: bytes,
    filename: str,
    alt_text: str = "",
    primary: bool = False,
    variant: ProductVariant | None = None,
    actor: Actor | None = None,
) -> ProductImage:
    main, thumb = prepare_upload(data)
    stem = slugify(filename.rsplit(".", 1)[0]) or "image"
    has_primary = product.images.filter(is_primary=True).exists()
    make_primary = primary or not has_primary
    if make_primary and has_primary:
        product.images.filter(is_primary=True).update(is_primary=False)
    image = ProductImage(
        product=product,
        variant=variant,
        alt_text=alt_text or (variant.display_name if variant else product.name),
        position=product.images.count(),
        is_primary=make_primary,
    )
    image.image.save(f"{stem}.jpg", ContentFile(main), save=False)
    image.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(thumb), save=False)
    image.save()
    changes = {"image": [None, image.image.name]}
    if variant is not None:
        changes["variant"] = [None, variant.sku]
    record_audit(actor, "add_image", product, changes=changes)
    return image


def recompute_ratings(product_ids: Iterable[int] | None = None) -> int:
    """Set each product's rating and count from its approved reviews.

    Products without approved reviews keep the rating they had (an imported
    legacy rating stands until real reviews replace it).
    """
    approved = Q(status=ProductReview.Status.APPROVED)
    reviews = ProductReview.objects.filter(approved)
    if product_ids is not None:
        reviews = reviews.filter(product_id__in=list(product_ids))
    stats = reviews.values("product_id").annotate(avg=Avg("rating"), n=Count("id"))
    products = []
    for row in stats:
        products.append(
            Product(
                pk=row["product_id"],
                rating=Decimal(str(row["avg"])).quantize(Decimal("0.01")),
                rating_count=row["n"],
            )
        )
    Product.objects.bulk_update(products, ["rating", "rating_count"], batch_size=1000)
    bump_catalog_version()
    return len(products)


purchase_checks: ExtensionPoint[Callable[..., bool]] = ExtensionPoint(
    "catalog.purchase_checks",
    "(user, product) -> bool: whether the customer bought the product (the orders app answers); "
    "any True marks their review a verified purchase.",
)


@transaction.atomic
def submit_review(*, user, product: Product, rating: int, title: str, body: str) -> ProductReview:
    """Create the customer's review of a product, or update it: one per customer and product.

    With auto-approval off, a new or edited review waits for moderation; the
    product's rating counts approved reviews only and is recomputed here.
    """
    status = ProductReview.Status.APPROVED if settings.REVIEWS_AUTO_APPROVE else ProductReview.Status.PENDING
    verified = any(check(user, product) for check in purchase_checks)
    review, _ = ProductReview.objects.update_or_create(
        product=product,
        user=user,
        defaults={
            "rating": rating,
            "title": title,
            "body": body,
            "status": status,
            "is_verified_purchase": verified,
        },
    )
    _recompute_one(product.pk)
    if review.status == ProductReview.Status.APPROVED:
        publish(ReviewApproved(review=review))
    return review


@transaction.atomic
def moderate_review(*, review: ProductReview, status: str, actor: Actor | None = None) -> ProductReview:
    before = review.status
    review.status = status
    review.save(update_fields=["status", "updated_at"])
    _recompute_one(review.product_id)
    record_audit(actor, "moderate", review, changes={"status": [before, status]})
    if status == ProductReview.Status.APPROVED:
        publish(ReviewApproved(review=review))
    return review


def _recompute_one(product_id: int) -> None:
    stats = ProductReview.objects.filter(
        product_id=product_id, status=ProductReview.Status.APPROVED
    ).aggregate(avg=Avg("rating"), n=Count("id"))
    fields = {"rating_count": stats["n"]}
    if stats["n"]:
        fields["rating"] = Decimal(str(stats["avg"])).quantize(Decimal("0.01"))
    Product.objects.filter(pk=product_id).update(**fields)
    bump_catalog_version()


@transaction.atomic
def create_product(
    *,
    sku: str,
    name: str,
    subcategory,
    brand,
    price: Decimal,
    description: str = "",
    stock: int = 0,
    reorder_level: int = 10,
    is_active: bool = True,
    actor: Actor | None = None,
) -> Product:
    """A new product; its opening stock enters the stock ledger through ProductCreated."""
    product = Product.objects.create(
        sku=sku,
        name=name,
        slug=product_slug(name, sku),
        description=description,
        category=subcategory.category,
        subcategory=subcategory,
        brand=brand,
        price=price,
        reorder_level=reorder_level,
        reorder_quantity=max(reorder_level * 4, 1),
        is_active=is_active,
    )
    ProductVariant.objects.create(product=product, sku=sku, price=price, reorder_level=reorder_level)
    sync_products([product.pk])
    record_audit(
        actor,
        "create",
        product,
        changes={
            k: [None, v]
            for k, v in {
                "sku": sku,
                "name": name,
                "subcategory": subcategory,
                "brand": brand,
                "price": price,
                "stock": stock,
                "reorder_level": reorder_level,
                "is_active": is_active,
            }.items()
        },
    )
    publish(ProductCreated(product=product, opening_stock=stock, actor=actor))
    return product


# --- staff changes to a product ---------------------------------------------------------
# Saved and deleted catalogue rows bump the catalogue version through catalog/apps.py's
# signals; only a queryset update() (which sends none) bumps it here.


def _locked_product(product: Product) -> Product:
    """The product's row locked for a change, its variants' rows first: stock changes lock
    variants before products, and every path must take them in that order (no deadlock)."""
    list(
        ProductVariant.objects.select_for_update()
        .filter(product_id=product.pk)
        .order_by("pk")
        .values_list("pk")
    )
    return Product.objects.select_for_update().get(pk=product.pk)


def _change(product: Product, fields: list[str], data: dict, action: str, actor: Actor | None) -> Product:
    locked = _locked_product(product)
    before = snapshot(locked, fields)
    for field in fields:
        if field in data:
            setattr(locked, field, data[field])
    locked.save(update_fields=[*[f for f in fields if f in data], "updated_at"])
    record_audit(actor, action, locked, changes=diff(before, snapshot(locked, fields)))
    return locked


@transaction.atomic
def update_product(*, product: Product, data: dict, actor: Actor | None) -> Product:
    """Name, description, reorder levels and flags (EDIT_FIELDS), from validated data. A new
    reorder level is every variant's."""
    locked = _change(product, EDIT_FIELDS, data, "update", actor)
    if "reorder_level" in data:
        ProductVariant.objects.filter(product=locked).update(reorder_level=locked.reorder_level)
    return locked


@transaction.atomic
def change_price(*, product: Product, data: dict, actor: Actor | None) -> Product:
    """Price and compare-at price (PRICE_FIELDS), from validated data, for every variant of the
    product (one variant's price is set in the variant grid)."""
    locked = _change(product, PRICE_FIELDS, data, "change_price", actor)
    ProductVariant.objects.filter(product=locked).update(
        **{f: getattr(locked, f) for f in PRICE_FIELDS if f in data}
    )
    sync_products([locked.pk])
    locked.refresh_from_db()
    return locked


@transaction.atomic
def change_prices(*, category_slug: str, percent: Decimal, actor: Actor | None) -> int:
    """Every variant of every product of a category by `percent` (never below S$0.01), one
    audit row per product."""
    changed = 0
    variants = (
        ProductVariant.objects.filter(product__category__slug=category_slug)
        .select_for_update(of=("self",))
        .select_related("product")
        .order_by("pk")
    )
    by_product: dict[int, list] = {}
    for variant in variants:
        by_product.setdefault(variant.product_id, []).append(variant)
    products = Product.objects.filter(pk__in=list(by_product)).select_for_update().order_by("pk")
    for product in products:
        before = product.price
        for variant in by_product[product.pk]:
            variant.price = max(Decimal("0.01"), quantize(variant.price * (1 + percent / 100)))
            variant.save(update_fields=["price"])
        sync_products([product.pk])
        product.refresh_from_db(fields=["price"])
        record_audit(actor, "change_price", product, changes={"price": [before, product.price]})
        changed += 1
    return changed


@transaction.atomic
def set_primary_image(*, product: Product, image: ProductImage, actor: Actor | None) -> None:
    product.images.filter(is_primary=True).exclude(pk=image.pk).update(is_primary=False)
    ProductImage.objects.filter(pk=image.pk).update(is_primary=True)
    record_audit(actor, "set_primary_image", product, changes={"primary_image": [None, image.pk]})
    bump_catalog_version()


@transaction.atomic
def move_image(*, product: Product, image_id: int, up: bool, actor: Actor | None) -> bool:
    """Move a picture one place earlier (up) or later in the gallery; False at either end."""
    images = list(product.images.select_for_update().order_by("position", "pk"))
    index = next((i for i, img in enumerate(images) if img.pk == image_id), None)
    step = -1 if up else 1
    if index is None or not 0 <= index + step < len(images):
        return False
    images[index], images[index + step] = images[index + step], images[index]
    for position, img in enumerate(images):
        if img.position != position:
            img.position = position
            img.save(update_fields=["position"])
    record_audit(actor, "reorder_images", product, changes={"order": [None, [img.pk for img in images]]})
    return True


@transaction.atomic
def set_specification(*, product: Product, name: str, value: str, actor: Actor | None) -> None:
    """Add a specification, or change the value of the one with this name."""
    spec = product.specifications.filter(name__iexact=name).first()
    before = spec.value if spec else None
    if spec:
        spec.value = value
        spec.save(update_fields=["value"])
    else:
        product.specifications.create(name=name, value=value, position=product.specifications.count())
    record_audit(actor, "set_spec", product, changes={name: [before, value]})


@transaction.atomic
def delete_specification(*, product: Product, spec_id, actor: Actor | None) -> bool:
    spec = product.specifications.filter(pk=spec_id).first()
    if spec is None:
        return False
    record_audit(actor, "delete_spec", product, changes={spec.name: [spec.value, None]})
    spec.delete()
    return True


# --- categories, subcategories and brands -------------------------------------------------

TAXONOMY = {"category": Category, "subcategory": Subcategory, "brand": Brand}


class TaxonomyError(Exception):
    pass


@transaction.atomic
def set_category_tax_class(*, category: Category, tax_class, actor: Actor | None) -> Category:
    """The tax class of the category's products that name none themselves (None: the default)."""
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = category.tax_class.code if category.tax_class else None
    category.tax_class = tax_class
    category.save(update_fields=["tax_class"])
    after = tax_class.code if tax_class else None
    if before != after:
        record_audit(actor, "set_tax_class", category, changes={"tax_class": [before, after]})
    return category


def _free_slug(model, name: str, exclude_pk=None, **scope) -> str:
    base = slugify(name)[:100] or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug, **scope).exclude(pk=exclude_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_taxonomy(*, kind: str, name: str, actor: Actor | None, category: Category | None = None):
    """A new category, subcategory (of `category`) or brand."""
    name = name.strip()
    obj: Category | Brand | Subcategory
    if kind == "category":
        obj = Category.objects.create(
            name=name, slug=_free_slug(Category, name), position=Category.objects.count()
        )
    elif kind == "brand":
        obj = Brand.objects.create(name=name, slug=_free_slug(Brand, name))
    elif kind == "subcategory" and category is not None:
        obj = Subcategory.objects.create(
            category=category, name=name, slug=_free_slug(Subcategory, name, category=category)
        )
    else:
        raise TaxonomyError("Choose a category, subcategory (with its category) or brand.")
    record_audit(actor, "create", obj, changes={"name": [None, name]})
    return obj


def _namesake(obj, name: str):
    """Another category (subcategory of the same category, brand) with this name, if any."""
    others = type(obj).objects.filter(name__iexact=name).exclude(pk=obj.pk)
    if isinstance(obj, Subcategory):
        others = others.filter(category_id=obj.category_id)
    return others.first()


@transaction.atomic
def rename_taxonomy(*, obj, name: str, actor: Actor | None):
    """Rename a category, subcategory or brand; its web address stays, so links keep working.

    A category's name is also the label the preferred-category model predicts and that
    customers' stored predictions carry: CategoryRenamed lets the recommendations app relabel
    them in this transaction and retrain the model after it."""
    name = name.strip()
    if not name:
        raise TaxonomyError("Enter a name.")
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    if (namesake := _namesake(obj, name)) is not None:
        raise TaxonomyError(f"Another {obj._meta.verbose_name} is called {namesake.name}.")
    old = obj.name
    if old == name:
        return obj
    obj.name = name
    obj.save(update_fields=["name"])
    record_audit(actor, "rename", obj, changes={"name": [old, name]})
    if isinstance(obj, Category):
        publish(CategoryRenamed(category=obj, old_name=old, new_name=name))
    return obj


@transaction.atomic
def delete_taxonomy(*, obj, actor: Actor | None) -> None:
    """Delete a category, subcategory or brand that nothing uses any more (products keep their
    history, so one with products, or a category with subcategories, is refused)."""
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    if obj.products.exists():
        raise TaxonomyError(f"{obj.name} still has products: move or delete them first.")
    if isinstance(obj, Category) and obj.subcategories.exists():
        raise TaxonomyError(f"{obj.name} still has subcategories: delete them first.")
    record_audit(actor, "delete", obj, changes={"name": [obj.name, None]})
    name = obj.name
    obj.delete()
    if isinstance(obj, Category):
        publish(CategoryDeleted(name=name))
