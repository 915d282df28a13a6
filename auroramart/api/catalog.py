from decimal import Decimal

from django.http import HttpResponse, QueryDict
from ninja import Field, Query, Router, Schema, Status

from auroramart.catalog import selectors
from auroramart.catalog import services as catalog_services
from auroramart.catalog.cache import cached_page_part
from auroramart.catalog.forms import ProductFilterForm
from auroramart.core.db_routing import reads_from_replica
from auroramart.core.held import Held
from auroramart.recommendations import services as recommendations
from auroramart.search.backends import search_products
from auroramart.search.selectors import suggestions

from . import idempotency
from .auth import customer, token_auth
from .errors import ERRORS, bad_request, form_fields, not_found
from .pagination import CURSOR_MAX_LENGTH, MAX_PAGE_SIZE, cursor_query, page_of
from .schemas import (
    CategoryOut,
    MyReviewOut,
    ProductDetailOut,
    ProductOut,
    ProductPage,
    ProductSort,
    ReviewIn,
    ReviewPage,
    SuggestionsOut,
)
from .serializers import product_out, variants_out

router = Router(tags=["catalog"])
# Every operation here only reads the catalogue: a read replica may answer (core/db_routing.py).
router.add_decorator(reads_from_replica, mode="operation")


class ProductQuery(Schema):
    q: str = Field("", max_length=200, description="search words; ranks by relevance")
    category: str = Field("", max_length=120, description="category slug")
    subcategory: str = Field("", max_length=120, description="subcategory slug (with category)")
    brand: list[str] = Field([], description="brand slugs, any of them")
    min_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    min_rating: int | None = Field(None, ge=1, le=4)
    in_stock: bool = False
    sort: ProductSort = Field(
        "", description="The order of the list; empty: featured, or relevance with `q`."
    )
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(24, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(
        None, max_length=CURSOR_MAX_LENGTH, description="A page's `next_cursor` or `previous_cursor`."
    )


@router.get("/categories", response=list[CategoryOut])
def categories(request):
    return [
        {
            "slug": c["slug"],
            "name": c["name"],
            "subcategories": [{"slug": s["slug"], "name": s["name"]} for s in c["subcategories"]],
        }
        for c in selectors.category_menu()
    ]


@router.get("/products", response={200: ProductPage, **ERRORS})
def products(request, params: Query[ProductQuery]):
    """The catalog with the same filters, sorts and validation as the shop's pages."""

    def build() -> dict:
        # Only when the page is not held: the same URL was valid, or it was never held (a 400
        # is not kept), and a change to what makes a filter valid changes the catalog version.
        form = _filter_form(params)
        if not form.is_valid():
            raise bad_request("Some filters are not valid.", form_fields(form))
        base = search_products(params.q.strip()) if params.q.strip() else None
        queryset = selectors.filter_products(form.to_filters(), base=base)
        return page_of(
            queryset, params.page, params.page_size, product_out, cursor=params.cursor, request=request
        )

    # The same for every client (it is PUBLIC, api/caching.py): built once per URL and catalog
    # version, as the shop's product lists are (#23), and kept no longer than clients are told
    # they may keep it, so "in stock" lags a sale by at most that. Its links are absolute: the
    # host is part of the key.
    prefix = f"api-products:{request.build_absolute_uri('/')}"
    return _rendered_once(request, prefix, ProductPage, build, _held_lists)


def _filter_form(params: ProductQuery) -> ProductFilterForm:
    data = QueryDict(mutable=True)
    for name in ("category", "subcategory", "sort"):
        if getattr(params, name):
            data[name] = getattr(params, name)
    for name in ("min_price", "max_price", "min_rating"):
        if getattr(params, name) is not None:
            data[name] = str(getattr(params, name))
    if params.in_stock:
        data["in_stock"] = "on"
    data.setlist("brand", params.brand)
    return ProductFilterForm(data, default_sort="relevance" if params.q.strip() else "featured")


def _rendered_once(
    request, prefix: str, schema: type[Schema], build, hold: Held[dict]
) -> HttpResponse | None:
    """A public read's answer, checked against its schema and rendered to JSON once per URL and
    catalog version (with `build()`'s data), as django-ninja would on every request: checking
    24 products against the schema and encoding them was more than a third of the list's CPU
    (#23). None when `build()` finds nothing (not kept)."""

    from .api import api  # the API this router is part of (it imports this module)

    def render() -> dict | None:
        data = build()
        if data is None:
            return None
        checked = schema.model_validate(data, context={"request": request, "response_status": 200})
        return {"json": api.renderer.render(request, checked.model_dump(), response_status=200)}

    found = cached_page_part(request, prefix, render, seconds=60, hold=hold)
    if found is None:
        return None
    return HttpResponse(found["json"], content_type=api.get_content_type())


# Apart from the shop's page parts, so that a client paging through the API does not push them out.
_held_lists: Held[dict] = Held(size=128, seconds=60)
_held_details: Held[dict] = Held(size=512, seconds=60)


@router.get("/products/{slug}", response={200: ProductDetailOut, **ERRORS})
def product(request, slug: str):
    """A product with its variants, pictures, specifications and latest reviews: the same for
    every client (PUBLIC), so built once per URL and catalog version like the list, and kept no
    longer than clients are told they may keep it (#23: building it was 8 ms of CPU, 4
    statements, where the shop's product page costs 2.4)."""

    def build() -> dict | None:
        p = selectors.product_detail(slug)
        if p is None:
            return None  # not kept: a product made a moment later is found at once
        images = list(p.images.all())
        p.primary_images = [i for i in images if i.is_primary][:1]
        return {
            **product_out(p),
            "description": p.description,
            "subcategory": p.subcategory.name,
            "stock_quantity": p.stock_quantity,
            **variants_out(selectors.variant_matrix(p.pk)),
            "images": [i.image.url for i in images],
            "specifications": {s.name: s.value for s in p.specifications.all()},
            "reviews": [review_out(r) for r in selectors.approved_reviews(p)],
        }

    # Its links are relative (unlike the list's): the host is not part of the key.
    found = _rendered_once(request, "api-product", ProductDetailOut, build, _held_details)
    if found is None:
        raise not_found("That product")
    return found


@router.get("/products/{slug}/reviews", response={200: ReviewPage, **ERRORS})
def reviews(
    request,
    slug: str,
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = cursor_query(),
):
    """A product's published reviews, newest first."""
    p = selectors.product_detail(slug)
    if p is None:
        raise not_found("That product")
    return page_of(
        selectors.approved_reviews_query(p), page, page_size, review_out, cursor=cursor, request=request
    )


@router.post("/products/{slug}/reviews", response={201: MyReviewOut, **ERRORS}, auth=token_auth)
def write_review(
    request,
    response: HttpResponse,
    slug: str,
    body: ReviewIn,
    idempotency_key: str | None = idempotency.key_header(),
):
    """Review a product (one review per customer and product: sending again replaces it).
    It is published at once, or after moderation when the shop holds reviews (`status`)."""
    p = selectors.product_detail(slug)
    if p is None:
        raise not_found("That product")
    user = customer(request)

    def action():
        review = catalog_services.submit_review(
            user=user, product=p, rating=body.rating, title=body.title.strip(), body=body.body.strip()
        )
        return Status(201, {**review_out(review), "status": review.status})

    return idempotency.once(
        request, response, user=user, key=idempotency_key, payload=body.dict(), action=action
    )


def review_out(r) -> dict:
    return {
        "rating": r.rating,
        "title": r.title,
        "body": r.body,
        "verified": r.is_verified_purchase,
        "created_at": r.created_at,
    }


@router.get("/products/{slug}/bought-together", response={200: list[ProductOut], **ERRORS})
def bought_together(request, slug: str):
    p = selectors.product_detail(slug)
    if p is None:
        raise not_found("That product")
    pairs, _version = recommendations.bought_together(p, limit=4)
    return [product_out(item) for item, _rule in pairs]


@router.get("/search/suggest", response={200: SuggestionsOut, **ERRORS})
def suggest(request, q: str = Query("", max_length=100)):
    found = suggestions(q.strip()) if len(q.strip()) >= 2 else {}
    return {
        "query": q,
        "products": [{"name": p.name, "slug": p.slug, "sku": p.sku} for p in found.get("products", [])],
        "categories": found.get("categories", []),
        "brands": found.get("brands", []),
        "searches": found.get("popular", []),
    }
