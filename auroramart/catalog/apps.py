from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "auroramart.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        # Cache invalidation only: any saved or deleted catalog row makes the
        # cached catalog pages stale. Bulk writes call bump_catalog_version().
        from django.db.models.signals import post_delete, post_save

        from . import models
        from .cache import bump_catalog_version
        from .selectors import forget_live_product

        def invalidate(sender, instance, **kwargs):
            bump_catalog_version()
            if sender is models.Product:
                forget_live_product(instance.pk)
            elif sender is models.ProductVariant:
                forget_live_product(instance.product_id)

        for model in (
            models.Category,
            models.Subcategory,
            models.Brand,
            models.Product,
            models.ProductVariant,
            models.ProductOption,
            models.ProductOptionValue,
            models.ProductImage,
            models.ProductSpecification,
            models.ProductReview,
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    invalidate, sender=model, weak=False, dispatch_uid=f"catalog-cache-{model.__name__}"
                )
