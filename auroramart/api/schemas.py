import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, Path, Schema

from auroramart.accounts.models import CustomerProfile
from auroramart.catalog.selectors import SORTS
from auroramart.orders.models import Order, ReturnRequest

# Closed sets, as named enums in the schema (an app can switch over them), from their one home.


def _enum(name: str, values) -> type[StrEnum]:
    members = {re.sub(r"\W+", "_", v or "default").strip("_").upper(): v for v in values}
    return StrEnum(name, members)  # type: ignore[return-value]


OrderStatus = _enum("OrderStatus", Order.Status.values)
ReturnReason = _enum("ReturnReason", ReturnRequest.Reason.values)
ProductSort = _enum("ProductSort", ("", *SORTS))
Gender = _enum("Gender", CustomerProfile.Gender.values)
Employment = _enum("Employment", CustomerProfile.Employment.values)
Occupation = _enum("Occupation", CustomerProfile.Occupation.values)
Education = _enum("Education", CustomerProfile.Education.values)
Currency = Literal[(settings.CURRENCY,)]  # type: ignore[valid-type]

# Every integer the API takes is bounded: a database id fits a signed 64-bit column, so
# anything larger is refused with a 400 before it reaches a query.
ID_MAX = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=ID_MAX)]
PathId = Annotated[int, Path(ge=1, le=ID_MAX)]


class Page(Schema):
    """A page of a list. Follow `next`/`previous` (or send `cursor=<next_cursor>`): cursors are
    stable while rows are added; `page` numbers are there too."""

    page: int
    page_size: int
    total: int
    pages: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    next: str | None = None
    previous: str | None = None


class SubcategoryOut(Schema):
    slug: str
    name: str


class CategoryOut(Schema):
    slug: str
    name: str
    subcategories: list[SubcategoryOut]


class ProductOut(Schema):
    currency: Currency = Field(settings.CURRENCY, description="The currency of every amount here (ISO 4217).")
    id: int
    sku: str
    slug: str
    name: str
    brand: str | None
    category: str
    price: Decimal
    compare_at_price: Decimal | None
    price_max: Decimal | None = Field(
        description='The highest variant price when variants differ in price ("from" `price`)'
    )
    in_stock: bool
    rating: Decimal | float
    rating_count: int
    image: str | None
    url: str


class RecommendedProductOut(ProductOut):
    reason: str = Field(description='Why it is recommended, in a few words ("Because you bought …")')


class ProductPage(Page):
    items: list[ProductOut]


class ReviewOut(Schema):
    rating: int
    title: str
    body: str
    verified: bool
    created_at: datetime


class ReviewPage(Page):
    items: list[ReviewOut]


class ReviewIn(Schema):
    rating: int = Field(ge=1, le=5)
    title: str = Field(min_length=1, max_length=150)
    body: str = Field(min_length=1, max_length=5000)


class MyReviewOut(ReviewOut):
    status: str = Field(description="approved (published) or pending (waiting for moderation)")


class OptionValueOut(Schema):
    id: int
    value: str
    swatch: str = Field(description="A hex colour for a colour option's swatch; empty otherwise")


class OptionOut(Schema):
    id: int
    name: str
    values: list[OptionValueOut]


class VariantOut(Schema):
    id: int
    sku: str
    name: str = Field(description='"Size M · Navy"; empty for a product\'s only, default variant')
    options: dict[str, str] = Field(description="Option name to value")
    price: Decimal
    compare_at_price: Decimal | None
    in_stock: bool
    stock_quantity: int
    image: str | None


class ProductDetailOut(ProductOut):
    description: str
    subcategory: str
    stock_quantity: int
    options: list[OptionOut]
    variants: list[VariantOut]
    images: list[str]
    specifications: dict[str, str]
    reviews: list[ReviewOut]


class SuggestedProductOut(Schema):
    name: str
    slug: str
    sku: str


class SuggestedLinkOut(Schema):
    name: str
    url: str


class SuggestedBrandOut(Schema):
    name: str
    slug: str


class SuggestionsOut(Schema):
    query: str
    products: list[SuggestedProductOut]
    categories: list[SuggestedLinkOut]
    brands: list[SuggestedBrandOut]
    searches: list[str]


class TokenIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    name: str = Field("", max_length=80)
    otp: str = Field(
        "",
        max_length=16,
        description="staff with two-factor sign-in: the code from their authenticator app, or a recovery code",
    )


class TokenOut(Schema):
    """`token` goes in `Authorization: Bearer`; when it expires (401 `token_expired`), trade
    `refresh_token` for a new pair at POST /auth/refresh."""

    token: str
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    staff: bool


class RefreshIn(Schema):
    refresh_token: str = Field(min_length=1, max_length=200)


class PredictedCategoryOut(Schema):
    category: str
    probability: float


class ProfileOut(Schema):
    """The demographic fields are null for an account made from a guest order until filled in."""

    email: str
    first_name: str
    last_name: str
    age: int | None
    gender: Gender | None
    employment_status: Employment | None
    occupation: Occupation | None
    education: Education | None
    household_size: int | None
    has_children: bool | None
    monthly_income_sgd: Decimal | None
    marketing_opt_in: bool
    predicted_categories: list[PredictedCategoryOut]


class ProfileIn(Schema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    age: int | None = Field(None, ge=18, le=100)
    gender: Gender | None = None
    employment_status: Employment | None = None
    occupation: Occupation | None = None
    education: Education | None = None
    household_size: int | None = Field(None, ge=1, le=10)
    has_children: bool | None = None
    monthly_income_sgd: Decimal | None = Field(None, ge=0, le=1_000_000, max_digits=12, decimal_places=2)
    marketing_opt_in: bool | None = None


class AddressIn(Schema):
    label: str = Field("", max_length=40)
    full_name: str = Field(min_length=1, max_length=150)
    phone: str = Field(min_length=6, max_length=20)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=12, description="In the country's format (checked where known)")
    city: str = Field("Singapore", max_length=80)
    region: str = Field("", max_length=80, description="State or region, where the country has them")
    country: str = Field("SG", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    is_default_shipping: bool = False
    is_default_billing: bool = False


class AddressOut(AddressIn):
    id: int


class ShippingOptionOut(Schema):
    code: str
    name: str
    estimate: str
    fee: Decimal
    free_above: Decimal | None
    free_remaining: Decimal | None


class CartItemIn(Schema):
    variant_id: DbId | None = Field(
        None, description="The variant to add (see `variants` of `GET /products/{slug}`)"
    )
    product_id: DbId | None = Field(
        None, description="A product sold in one variant may be named instead of its variant"
    )
    quantity: int = Field(1, ge=1, le=99)
    source: str = Field(
        "",
        max_length=40,
        pattern=r"^(rec:[a-z-]+)?$",
        description="Where the shopper added it from, so the add counts for that recommendation slot: "
        "`rec:pdp-fbt` for a product from `GET /products/{slug}/bought-together`, "
        "`rec:profile-personal` for one from `GET /recommendations/for-me`; empty otherwise.",
    )


class QuantityIn(Schema):
    quantity: int = Field(ge=0, le=99)


class CodeIn(Schema):
    code: str = Field(min_length=1, max_length=40)


class PointsIn(Schema):
    points: int = Field(ge=100, le=10_000_000)


class RewardIn(Schema):
    reward_id: DbId


class CartLineOut(Schema):
    variant_id: int
    product_id: int
    sku: str
    name: str
    variant_name: str = Field(
        description='The variant\'s option values ("Size M · Navy"); empty for a product without options'
    )
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    problem: str


class TaxLineOut(Schema):
    label: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal


class CartCouponOut(Schema):
    code: str
    discount: Decimal


class CartOut(Schema):
    currency: Currency = Field(settings.CURRENCY, description="The currency of every amount here (ISO 4217).")
    lines: list[CartLineOut]
    item_count: int
    subtotal: Decimal
    coupons: list[CartCouponOut]
    coupon_errors: list[str]
    points: int
    points_discount: Decimal
    reward_discount: Decimal
    shipping_method: str
    shipping_fee: Decimal
    shipping_name: str = ""
    shipping_estimate: str = ""
    total: Decimal
    gst_included: Decimal
    prices_include_tax: bool = True
    tax_lines: list[TaxLineOut] = []
    message: str = ""


class CheckoutIn(Schema):
    """Pay with `payment_method`, the provider's id for a card the app tokenised with the
    provider's SDK (never a card number: a body with a `card` is refused), or `saved_card_id`."""

    model_config = {"extra": "forbid"}

    address_id: DbId | None = None
    address: AddressIn | None = None
    shipping_method: str = "standard"
    payment_method: str | None = Field(None, min_length=3, max_length=100, pattern=r"^pm_[A-Za-z0-9_]+$")
    saved_card_id: DbId | None = None
    save_card: bool = False
    expected_total: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)


class SavedCardOut(Schema):
    id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    expired: bool


class NextActionOut(Schema):
    """The shopper must confirm the payment with their bank: open `url` in a browser; the order
    is confirmed when the bank answers (poll GET /orders/{number})."""

    type: str = "redirect_to_url"
    url: str


class OrderLineOut(Schema):
    product_id: int | None
    variant_id: int | None
    sku: str
    name: str
    variant_name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    line_id: int
    returned_quantity: int
    exchanged_quantity: int


class CreditNoteOut(Schema):
    number: str
    kind: str
    amount: Decimal
    merchandise: Decimal
    shipping: Decimal
    points_returned: int
    refunded: bool
    reason: str
    created_at: datetime


class TimelineOut(Schema):
    status: OrderStatus
    at: datetime
    note: str


class OrderOut(Schema):
    currency: Currency = Field(settings.CURRENCY, description="The currency of every amount here (ISO 4217).")
    number: str
    status: OrderStatus
    placed_at: datetime
    subtotal: Decimal
    discount_total: Decimal
    points_redeemed: int
    points_discount: Decimal
    shipping_fee: Decimal
    total: Decimal
    gst_included: Decimal
    prices_include_tax: bool
    tax_lines: list[TaxLineOut]
    shipping_method: str
    shipping_name: str
    ship_country: str
    refunded_total: Decimal
    lines: list[OrderLineOut]
    credit_notes: list[CreditNoteOut]
    timeline: list[TimelineOut]
    next_action: NextActionOut | None = None


class OrderSummaryOut(Schema):
    currency: Currency = Field(settings.CURRENCY, description="The currency of every amount here (ISO 4217).")
    number: str
    status: OrderStatus
    placed_at: datetime
    total: Decimal
    items: int


class OrderPage(Page):
    items: list[OrderSummaryOut]


class ReturnLineIn(Schema):
    line_id: int = Field(..., ge=1, le=2_147_483_647)
    quantity: int = Field(..., ge=1, le=10_000)
    exchange_variant_id: int | None = Field(None, ge=1, le=2_147_483_647)


class ReturnIn(Schema):
    reason: ReturnReason
    details: str = Field("", max_length=2000)
    # The units to send back, per order line; every unit still returnable when left out.
    lines: list[ReturnLineIn] | None = Field(None, max_length=100)


class LoyaltyOut(Schema):
    balance: int
    tier: str
    multiplier: Decimal
    qualifying_points: int
    next_tier: str | None
    points_to_next_tier: int | None
    points_value: Decimal


class LoyaltyTransactionOut(Schema):
    kind: str
    points: int
    balance_after: int
    order_number: str
    reason: str
    created_at: datetime


class LoyaltyPage(Page):
    items: list[LoyaltyTransactionOut]


class RewardOut(Schema):
    id: int
    name: str
    description: str
    point_cost: int


class StaffProductOut(Schema):
    id: int
    sku: str
    name: str
    price: Decimal
    compare_at_price: Decimal | None
    stock_quantity: int
    reorder_level: int
    is_active: bool


class StaffProductPage(Page):
    items: list[StaffProductOut]


class PriceIn(Schema):
    price: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    compare_at_price: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=2)


class StockIn(Schema):
    quantity: int = Field(ge=-100_000, le=100_000)
    reason: str = Field(min_length=1, max_length=200)
    variant_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Which variant; may be left out when the product has one"
    )


class StatusIn(Schema):
    status: OrderStatus
    note: str = Field("", max_length=500)
    # When shipping: where the parcel can be followed (the customer's email links to it).
    carrier: str = Field("", max_length=60)
    tracking_number: str = Field("", max_length=60)
    tracking_url: str = Field("", max_length=300)


class StaffOrderOut(OrderSummaryOut):
    customer: str
    allowed_transitions: list[str]


class StaffOrderPage(Page):
    items: list[StaffOrderOut]


class MessageOut(Schema):
    message: str
