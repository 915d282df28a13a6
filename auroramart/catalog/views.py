from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from auroramart.core.pagination import paginate

from . import selectors
from .forms import ProductFilterForm
from .models import Category, Subcategory
from .selectors import SORT_LABELS


def render_product_list(
    request, *, title, category=None, subcategory=None, breadcrumbs=(), base=None, extra=None
):
    """The catalog list page; search reuses it with its own ranked `base` queryset."""
    form = ProductFilterForm(request.GET, fixed_category=category, fixed_subcategory=subcategory)
    form.is_valid()  # errors are shown beside the fields; valid filters still apply
    filters = form.to_filters()
    page = paginate(selectors.filter_products(filters, base=base), request.GET.get("page"), form.page_size)
    return render(
        request,
        "catalog/product_list.html",
        {
            **(extra or {}),
            "title": title,
            "form": form,
            "filters": filters,
            "page": page,
            "products": page.object_list,
            "brands": selectors.brands_for(filters),
            "sort_labels": SORT_LABELS,
            "category": category,
            "subcategory": subcategory,
            "breadcrumbs": breadcrumbs,
        },
    )


def product_list(request):
    return render_product_list(request, title="All products", breadcrumbs=[("Products", None)])


def category_detail(request, slug):
    category = get_object_or_404(Category, slug=slug, is_active=True)
    return render_product_list(
        request,
        title=category.name,
        category=category,
        breadcrumbs=[("Products", "/item/"), (category.name, None)],
    )


def subcategory_detail(request, slug, sub):
    subcategory = get_object_or_404(
        Subcategory.objects.select_related("category"),
        category__slug=slug,
        category__is_active=True,
        slug=sub,
    )
    category = subcategory.category
    return render_product_list(
        request,
        title=subcategory.name,
        category=category,
        subcategory=subcategory,
        breadcrumbs=[
            ("Products", "/item/"),
            (category.name, category.get_absolute_url()),
            (subcategory.name, None),
        ],
    )


def product_detail(request, slug):
    product = selectors.product_detail(slug)
    if product is None:
        raise Http404("No such product.")
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "images": list(product.images.all()),
            "specifications": list(product.specifications.all()),
            "reviews": selectors.approved_reviews(product),
            "distribution": selectors.rating_distribution(product),
            "related": selectors.related_products(product),
            "breadcrumbs": [
                ("Products", "/item/"),
                (product.category.name, product.category.get_absolute_url()),
                (
                    product.subcategory.name,
                    reverse(
                        "catalog:subcategory",
                        kwargs={"slug": product.category.slug, "sub": product.subcategory.slug},
                    ),
                ),
                (product.name, None),
            ],
        },
    )
