import functools

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods

from auroramart.accounts.selectors import wishlisted_ids
from auroramart.catalog import selectors, services
from auroramart.catalog.cache import cached_page_part, catalog_version, live_marker, shared_page, with_live
from auroramart.catalog.forms import ProductFilterForm, ReviewForm
from auroramart.catalog.models import Category, Product, ProductReview, Subcategory
from auroramart.catalog.selectors import SEARCH_SORT_LABELS, SORT_LABELS
from auroramart.core import shared_reads
from auroramart.core.access import customer_required, is_customer
from auroramart.core.db_routing import reads_from_replica
from auroramart.core.held import Held, render_held
from auroramart.core.htmx import htmx_target, is_htmx
from auroramart.core.pagination import paginate
from auroramart.core.structured_data import absolute, product_blocks, product_data
from auroramart.search.services import record_view

BUY_BOX_MARKER = live_marker("buy-box")
MAIN_IMAGE_MARKER = live_marker("main-image")


def render_product_list(
    request,
    *,
    title,
    category=None,
    subcategory=None,
    breadcrumbs=(),
    base=None,
    extra=None,
    cache_prefix="plp",
    default_sort="featured",
    build_extra=None,
    after=None,
):
    """The catalog list page; search reuses it with its own `base` queryset (or a function
    that makes it: only a page not in the cache needs it).

    The filtered, sorted page of products is rendered once per URL and catalog version, and
    so is the whole page (catalog/cache.py, shared_page); `after(part)` runs on every request
    (search logs its query there).
    """

    def build():
        queryset = base() if callable(base) else base
        form = ProductFilterForm(
            request.GET, fixed_category=category, fixed_subcategory=subcategory, default_sort=default_sort
        )
        form.is_valid()  # errors are shown beside the fields; valid filters still apply
        filters = form.to_filters()
        page = paginate(
            selectors.filter_products(filters, base=queryset), request.GET.get("page"), form.page_size
        )
        context = {
            **(extra or {}),
            "title": title,
            "form": form,
            "filters": filters,
            "page": page,
            "products": page.object_list,
            "brands": selectors.brands_for(filters),
            # Shown on the phone's closed filter drawer: "Filters (3)".
            "active_filter_count": len(filters.brands)
            + sum(len(values) for _, values in filters.options)
            + (filters.min_price is not None)
            + (filters.max_price is not None)
            + bool(filters.min_rating)
            + filters.in_stock,
            "option_facets": selectors.option_facets(filters, base=queryset),
            "sort_labels": {**SEARCH_SORT_LABELS, **SORT_LABELS} if base is not None else SORT_LABELS,
            "category": category,
            "subcategory": subcategory,
            "breadcrumbs": breadcrumbs,
        }
        if build_extra is not None:
            context.update(build_extra(page))
        return {
            "body": render_to_string("catalog/_product_list_body.html", context, request=request),
            "count": page.paginator.count,
            "page_number": page.number,
        }

    if after is not None:
        after(cached_page_part(request, cache_prefix, build))

    def page(extra_context):
        part = cached_page_part(request, cache_prefix, build)
        return render(
            request,
            "catalog/product_list.html",
            {
                **(extra or {}),
                "title": title,
                "category": category,
                "body": mark_safe(part["body"]),  # noqa: S308 -- our own rendered template
                "count": part["count"],
                "page_number": part["page_number"],
                **extra_context,
            },
        )

    # Nothing runs per request for an anonymous visitor's list but when something is logged.
    return shared_page(request, cache_prefix, page, before_the_view=after is None) or page({})


@reads_from_replica
def product_list(request):
    return render_product_list(request, title="All products", breadcrumbs=[("Products", None)])


@reads_from_replica
def category_detail(request, slug):
    category = get_object_or_404(Category, slug=slug, is_active=True)
    return render_product_list(
        request,
        title=category.name,
        category=category,
        breadcrumbs=[("Products", "/item/"), (category.name, None)],
    )


@reads_from_replica
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


@reads_from_replica
def product_detail(request, slug):
    def build():
        product = selectors.product_detail(slug)
        if product is None:
            return None
        images = list(product.images.all())
        main = next((i for i in images if i.is_primary), images[0] if images else None)
        context = {
            "product": product,
            "images": images,
            "main_image_marker": MAIN_IMAGE_MARKER,
            "specifications": list(product.specifications.all()),
            "reviews": selectors.approved_reviews(product),
            "distribution": selectors.rating_distribution(product),
            "related": selectors.related_products(product),
            "buy_box_marker": BUY_BOX_MARKER,
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
        }
        return {
            "body": render_to_string("catalog/_product_detail_body.html", context, request=request),
            "pk": product.pk,
            "name": product.name,
            "brand": product.brand.name if product.brand else "",
            "description": Truncator(product.description).chars(155),
            "url": product.get_absolute_url(),
            "size_guide_url": product.size_guide_url,
            "main_image": {"url": main.image.url, "alt": main.alt_text} if main else None,
            # Link previews (Open Graph) and search engines (JSON-LD; the offer is added live).
            "og_image": absolute(request, main.image.url) if main else "",
            "structured": product_data(
                request,
                product,
                images,
                [*context["breadcrumbs"][:-1], (product.name, product.get_absolute_url())],
            ),
        }

    part = cached_page_part(request, "pdp", build)
    if part is None:
        raise Http404("No such product.")
    # The live price and stock come in the request's first round trip to the cache (the
    # session's, or the catalog version's) once this process has shown the product (#23); a
    # slug that names another product now only costs that read being made again.
    shared_reads.expect_at(request.path, selectors.live_keys(part["pk"]))
    if is_htmx(request) and htmx_target(request) == "buy-box":
        # A choice in the pickers: the buy box again, and the variant's picture out of band.
        return HttpResponse(_live_parts(request, slug, part, fragment=True)[0])

    def page(extra_context):
        return render(
            request,
            "catalog/product_detail.html",
            {"part": part, "body": mark_safe(part["body"]), **extra_context},  # noqa: S308 -- our own templates
        )

    # The page does nothing on each request but make its live parts, so an anonymous visitor's
    # may be answered before the view, with them made there (#23).
    live = functools.partial(_live_page_parts, slug=slug, part=part)
    shared = shared_page(request, "pdp-page", page, live=live, before_the_view=True)
    if shared is not None:
        return shared
    return page({"body": mark_safe(with_live(part["body"], live(request)))})  # noqa: S308 -- our own templates


def _live_page_parts(request, *, slug: str, part: dict) -> dict[str, str]:
    """The product page's live parts by the marker each goes in place of."""
    return dict(zip((BUY_BOX_MARKER, MAIN_IMAGE_MARKER), _live_parts(request, slug, part), strict=True))


def _live_parts(request, slug: str, part: dict, *, fragment: bool = False) -> tuple[str, str]:
    """The product page's buy box and main image for this request: what it shows of the
    product comes from the page's `part`; price and stock are read live, they must be exact
    where the shopper decides to buy. Raises Http404 when the product or the variant asked
    for is no longer sold. Nothing of an earlier request may reach here but through `part`:
    a page served before the view (catalog/middleware.py) calls it with a later request."""
    pk = part["pk"]
    live, matrix = selectors.live_product_with_matrix(pk)
    if live is None:
        raise Http404("No such product.")
    product = {"pk": pk, "name": part["name"]}  # what the buy box shows of the product itself
    chosen, pickers = selectors.choose_variant(matrix, request.GET.get("variant"))
    if chosen is None:
        raise Http404("No such product.")
    if not fragment:
        record_view(request, product["pk"], source=request.GET.get("src", "")[:40])
    image = chosen["image"] or part["main_image"]
    # Answered before the view, a request has no user yet: its visitor has no session, so no
    # one is signed in.
    customer = hasattr(request, "user") and is_customer(request.user)
    context = {
        "product": product,
        "product_url": part["url"],
        "variant": {
            **chosen,
            "in_stock": chosen["stock"] > 0,
            "low_stock": 0 < chosen["stock"] <= chosen["reorder_level"],
            "on_sale": bool(chosen["compare_at_price"] and chosen["compare_at_price"] > chosen["price"]),
        },
        "pickers": pickers,
        "size_guide_url": part["size_guide_url"],
        "oob_image": image if fragment and chosen["image"] else None,
        "customer": customer,
        "saved": customer and bool(wishlisted_ids(request.user, [product["pk"]])),
    }
    # The search engines' JSON-LD goes in the buy box: the offer is live. It is made only
    # when the buy box is rendered, from the page's part (of this catalog version), the
    # chosen variant and the page's address (#23: making it was 5% of a product page).
    page_url = "" if fragment else request.build_absolute_uri(part["url"])

    def buy_box_html(extra):
        structured = product_blocks(part["structured"], chosen, page_url) if page_url else ""
        return render_to_string("catalog/_buy_box.html", {**context, "structured_data": structured, **extra})

    # Every shopper looking at this variant at this price and stock sees the same buy box
    # but for their CSRF token: it is rendered once for what it shows and held (#23).
    shown = (
        product["pk"],
        product["name"],
        slug,
        image,
        catalog_version(),
        page_url,
        {k: v for k, v in context.items() if k != "product"},
    )
    buy_box = render_held(request, _held_buy_boxes, shown, buy_box_html)
    main_image = render_held(
        request,
        _held_main_images,
        (image, part["name"]),
        lambda extra: render_to_string("catalog/_main_image.html", {"image": image, "name": part["name"]}),
    )
    return buy_box, main_image


_held_buy_boxes: Held[str] = Held(size=256, seconds=60)
_held_main_images: Held[str] = Held(size=256, seconds=60)


@customer_required
@require_http_methods(["GET", "POST"])
def write_review(request, slug):
    product = get_object_or_404(Product, slug=slug, is_active=True)
    existing = ProductReview.objects.filter(product=product, user=request.user).first()
    form = ReviewForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        review = services.submit_review(user=request.user, product=product, **form.cleaned_data)
        if review.status == ProductReview.Status.APPROVED:
            messages.success(request, "Thank you! Your review is published.")
        else:
            messages.success(request, "Thank you! Your review will appear once our team has checked it.")
        return redirect(product.get_absolute_url() + "#reviews")
    return render(
        request,
        "catalog/review_form.html",
        {"form": form, "product": product, "existing": existing, "title": f"Review {product.name}"},
    )
