"""Write-side operations on the catalog, shared by views, commands and the admin panel."""

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils.text import slugify

from auroramart.core.events import ExtensionPoint, publish

from .cache import bump_catalog_version
from .events import ProductCreated, ReviewApproved
from .images import prepare_upload
from .models import Product, ProductImage, ProductReview


def product_slug(name: str, sku: str) -> str:
    """Canonical slug: the name for people, the SKU to make it unique and stable."""
    return slugify(f"{name} {sku}")[:240]


@transaction.atomic
def add_product_image(
    *, product: Product, data: bytes, filename: str, alt_text: str = "", primary: bool = False
) -> ProductImage:
    main, thumb = prepare_upload(data)
    stem = slugify(filename.rsplit(".", 1)[0]) or "image"
    has_primary = product.images.filter(is_primary=True).exists()
    make_primary = primary or not has_primary
    if make_primary and has_primary:
        product.images.filter(is_primary=True).update(is_primary=False)
    image = ProductImage(
        product=product,
        alt_text=alt_text or product.name,
        position=product.images.count(),
        is_primary=make_primary,
    )
    image.image.save(f"{stem}.jpg", ContentFile(main), save=False)
    image.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(thumb), save=False)
    image.save()
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
def moderate_review(*, review: ProductReview, status: str) -> ProductReview:
    review.status = status
    review.save(update_fields=["status", "updated_at"])
    _recompute_one(review.product_id)
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
    actor=None,
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
    publish(ProductCreated(product=product, opening_stock=stock, actor=actor))
    return product
