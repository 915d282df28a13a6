"""sitemap.xml (Django's sitemaps framework): the pages a search engine should find. An index
with one section per kind, each paginated at 50,000 URLs, so a catalogue of any size fits."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from auroramart.catalog.models import Category, Product, Subcategory


class _Shop(Sitemap):
    @property
    def protocol(self):  # type: ignore[override]
        return "https" if settings.HTTPS else None  # None: the request's own


class ProductSitemap(_Shop):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return Product.objects.filter(is_active=True).only("slug", "updated_at").order_by("pk")

    def lastmod(self, product):
        return product.updated_at


class CategorySitemap(_Shop):
    changefreq = "daily"
    priority = 0.6

    def items(self):
        return list(Category.objects.filter(is_active=True).order_by("pk")) + list(
            Subcategory.objects.filter(category__is_active=True).select_related("category").order_by("pk")
        )

    def location(self, item):
        if isinstance(item, Subcategory):
            return reverse("catalog:subcategory", kwargs={"slug": item.category.slug, "sub": item.slug})
        return item.get_absolute_url()


class PageSitemap(_Shop):
    changefreq = "weekly"
    priority = 0.5
    pages = ["pages:home", "catalog:product_list", "pages:about", "pages:faq", "pages:shipping-returns"]

    def items(self):
        return self.pages

    def location(self, name):
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "categories": CategorySitemap, "products": ProductSitemap}
