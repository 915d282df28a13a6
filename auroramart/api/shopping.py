"""Cart, checkout and orders: the same services as the pages."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from ninja import Header, Query, Router, Status

from auroramart.accounts.addresses import clean_country, clean_postal_code
from auroramart.accounts.models import Address
from auroramart.cart import services as cart_services
from auroramart.cart.selectors import cart_summary
from auroramart.cart.services import CartError
from auroramart.cart.storage import DbCart
from auroramart.core.client import shopper_for
from auroramart.loyalty import services as loyalty
from auroramart.loyalty.services import LoyaltyError
from auroramart.orders import links
from auroramart.orders import selectors as order_selectors
from auroramart.orders import services as orders
from auroramart.orders.models import Order, ReturnRequest
from auroramart.orders.services import (
    CartAlreadyPlaced,
    CheckoutError,
    OrderActionError,
    PaymentFailed,
    PlacementInProgress,
    ShippingAddress,
)
from auroramart.payments import services as payment_services
from auroramart.recommendations.tracking import SLOTS, SOURCE_PREFIX
from auroramart.shipping.selectors import Destination

from . import idempotency
from .auth import customer, token_auth
from .errors import ERRORS, ApiError, ErrorOut, bad_request, not_found
from .pagination import MAX_PAGE_SIZE, cursor_query, page_of
from .schemas import (
    CartItemIn,
    CartOut,
    CheckoutIn,
    CodeIn,
    OrderOut,
    OrderPage,
    PathId,
    PointsIn,
    QuantityIn,
    ReturnIn,
    RewardIn,
    ShippingOptionOut,
)
from .serializers import cart_out, order_out, order_summary
from .throttling import ClientRateThrottle

router = Router(tags=["cart and orders"], auth=token_auth)


def _cart(request, message: str = ""):
    user = customer(request)
    return cart_out(cart_summary(DbCart(user), user=user), message)


def _cart_action(request, action):
    user = customer(request)
    try:
        message = action(DbCart(user), user) or ""
    except (CartError, LoyaltyError) as exc:
        raise bad_request(str(exc)) from None
    return _cart(request, message)


@router.get("/cart", response={200: CartOut, **ERRORS})
def get_cart(request):
    return _cart(request)


@router.post("/cart/items", response={200: CartOut, **ERRORS})
def add_item(
    request, response: HttpResponse, body: CartItemIn, idempotency_key: str | None = idempotency.key_header()
):
    """Add a product (its default variant) or a variant; with an Idempotency-Key, a retry adds
    it once."""
    if body.source and body.source.removeprefix(SOURCE_PREFIX) not in SLOTS:
        raise bad_request(
            "Unknown recommendation slot.", {"source": [f"One of: rec:{', rec:'.join(SLOTS)}."]}
        )

    def action(cart, user):
        variant = cart_services.add_item(
            cart,
            variant_id=body.variant_id,
            product_id=body.product_id,
            quantity=body.quantity,
            shopper=shopper_for(request),
            source=body.source,
        )
        return f"{variant.display_name} is in your cart."

    return idempotency.once(
        request,
        response,
        user=customer(request),
        key=idempotency_key,
        payload=body.dict(),
        action=lambda: _cart_action(request, action),
    )


@router.patch("/cart/items/{variant_id}", response={200: CartOut, **ERRORS})
def change_item(request, variant_id: PathId, body: QuantityIn):
    """A cart line is a variant: `variant_id` is the line's, as `GET /cart` lists it."""
    return _cart_action(
        request,
        lambda cart, user: cart_services.set_quantity(cart, variant_id=variant_id, quantity=body.quantity),
    )


@router.delete("/cart/items/{variant_id}", response={200: CartOut, **ERRORS})
def remove_item(request, variant_id: PathId):
    def action(cart, user):
        if variant_id not in cart.items():
            raise CartError("That product is not in your cart.")
        return cart_services.remove_item(cart, variant_id=variant_id)

    return _cart_action(request, action)


@router.post("/cart/coupons", response={200: CartOut, **ERRORS})
def apply_coupon(request, body: CodeIn):
    return _cart_action(
        request, lambda cart, user: cart_services.apply_coupon(cart, code=body.code, user=user)
    )


@router.delete("/cart/coupons/{code}", response={200: CartOut, **ERRORS})
def remove_coupon(request, code: str):
    return _cart_action(request, lambda cart, user: cart_services.remove_coupon(cart, code=code))


@router.post("/cart/loyalty/points", response={200: CartOut, **ERRORS})
def apply_points(request, body: PointsIn):
    return _cart_action(request, lambda cart, user: loyalty.apply_points_to_cart(user, cart, body.points))


@router.post("/cart/loyalty/reward", response={200: CartOut, **ERRORS})
def apply_reward(request, body: RewardIn):
    return _cart_action(request, lambda cart, user: loyalty.apply_reward_to_cart(user, cart, body.reward_id))


@router.delete("/cart/loyalty", response={200: CartOut, **ERRORS})
def remove_loyalty(request):
    return _cart_action(request, lambda cart, user: cart.set_discount(None))


def _shipping_address(user, body: CheckoutIn) -> ShippingAddress:
    if body.address is not None:
        a = body.address
        try:
            country = clean_country(a.country)
        except ValidationError as exc:
            raise bad_request("The address is not valid.", {"address.country": exc.messages}) from None
        try:
            postal_code = clean_postal_code(country, a.postal_code)
        except ValidationError as exc:
            raise bad_request("The address is not valid.", {"address.postal_code": exc.messages}) from None
        return ShippingAddress(
            a.full_name, a.phone, a.line1, a.line2, postal_code, a.city, a.country, a.region
        )
    address = Address.objects.filter(user=user, pk=body.address_id).first() if body.address_id else None
    if address is None and body.address_id is None:
        address = Address.objects.filter(user=user, is_default_shipping=True).first()
    if address is None:
        raise bad_request("Choose a delivery address.", {"address_id": ["No such address of yours."]})
    return ShippingAddress.of(address)


@router.get("/cart/shipping-options", response={200: list[ShippingOptionOut], **ERRORS})
def shipping_options(
    request,
    country: str = Query("SG", pattern=r"^[A-Z]{2}$"),
    postal_code: str = Query("", max_length=12),
    region: str = Query("", max_length=80),
):
    """The delivery options that serve this address for the cart as it is, with their fees and
    estimates; an empty list when no shipping zone serves the address."""
    user = customer(request)
    try:
        country = clean_country(country)
    except ValidationError as exc:
        raise bad_request("Not a country.", {"country": exc.messages}) from None
    summary = cart_summary(DbCart(user), user=user, destination=Destination(country, region, postal_code))
    return [q.__dict__ for q in summary.shipping_options]


@router.post(
    "/checkout",
    response={201: OrderOut, 202: OrderOut, 402: ErrorOut, **ERRORS},
    throttle=[ClientRateThrottle(settings.API_CHECKOUT_RATE, per_user=True)],
)
def checkout(
    request,
    response: HttpResponse,
    body: CheckoutIn,
    idempotency_key: str = Header(
        ..., alias="Idempotency-Key", min_length=8, max_length=settings.IDEMPOTENCY_KEY_MAX_LENGTH
    ),
):
    """Place the cart as an order and charge the card.

    Idempotency-Key (8–255 characters, kept 24 hours): the same key and body answer with the
    first result, marked `Idempotent-Replayed: true` (never a second order or charge); another
    body is 409 `idempotency_conflict`; while the first request is still running, 409
    `idempotency_in_progress`. A request refused before anything was done (bad input, an empty
    cart) does not bind its key. A card that does not pay is 402 `payment_failed`, and replays
    as such. A cart already placed by another checkout is 409 `cart_already_placed`.

    A card that asks for 3-D Secure answers 202 with the order pending payment and
    `next_action.url`: open it in a browser for the shopper to confirm; the order is confirmed
    when the bank answers (the provider's webhook), whether or not the browser comes back."""
    user = customer(request)
    record = idempotency.claim(
        user=user, key=idempotency_key, request_hash=idempotency.body_hash(body.dict())
    )
    if isinstance(record, idempotency.Replay):
        if record.status >= 400:
            error = record.body
            raise ApiError(
                record.status,
                error["code"],
                error["message"],
                error.get("fields"),
                headers={idempotency.REPLAYED_HEADER: "true"},
            )
        response[idempotency.REPLAYED_HEADER] = "true"
        response["Location"] = _order_location(record.body["number"])
        return Status(record.status, record.body)
    try:
        payment_method = _payment_method(user, body)
    except ApiError:
        idempotency.release(record)
        raise
    try:
        placement = orders.place_order(
            user=user,
            cart=DbCart(user),
            idempotency_key=f"api:{record.pk}",  # the request record stands for the key, whole
            address=_shipping_address(user, body),
            shipping_method=body.shipping_method,
            payment_method=payment_method,
            save_card=body.save_card and not body.saved_card_id,
            return_url=lambda number: links.return_url(request, number),
            expected_total=body.expected_total,
        )
    except PaymentFailed as exc:
        error = {"code": "payment_failed", "message": str(exc), "fields": {}}
        idempotency.finish(record, 402, error)
        raise ApiError(402, "payment_failed", str(exc)) from None
    except PlacementInProgress as exc:  # an abandoned request taken over while its charge still runs
        raise ApiError(409, "idempotency_in_progress", str(exc)) from None
    except CartAlreadyPlaced as exc:
        idempotency.release(record)
        raise ApiError(409, "cart_already_placed", str(exc), {"order": [exc.order_number]}) from None
    except CheckoutError as exc:
        idempotency.release(record)
        raise bad_request(str(exc), code="checkout_failed") from None
    except BaseException:
        idempotency.release(record)
        raise
    order = order_selectors.order_detail(user, placement.order.number)
    status = 202 if placement.action_url else 201
    answer = order_out(order) | (
        {"next_action": {"type": "redirect_to_url", "url": request.build_absolute_uri(placement.action_url)}}
        if placement.action_url
        else {}
    )
    answer = json.loads(json.dumps(answer, default=str))
    idempotency.finish(record, status, answer)
    response["Location"] = _order_location(order.number)
    return Status(status, answer)


def _payment_method(user, body: CheckoutIn) -> str:
    if bool(body.payment_method) == bool(body.saved_card_id):
        raise bad_request(
            "Send either payment_method (from the payment provider) or saved_card_id.",
            {"payment_method": ["Send either payment_method or saved_card_id."]},
        )
    if body.payment_method:
        return body.payment_method
    try:
        return payment_services.saved_card(user, body.saved_card_id).payment_method
    except payment_services.CardError as exc:
        raise bad_request(str(exc), {"saved_card_id": [str(exc)]}) from None


def _order_location(number: str) -> str:
    """Where a new order can be read: GET /orders/{number}."""
    return reverse("api-v1:order", kwargs={"number": number})


@router.get("/orders", response={200: OrderPage, **ERRORS})
def order_list(
    request,
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = cursor_query(),
):
    return page_of(
        order_selectors.orders_for(customer(request)),
        page,
        page_size,
        order_summary,
        cursor=cursor,
        request=request,
    )


def _own(request, number: str) -> Order:
    try:
        return order_selectors.order_detail(customer(request), number)
    except Http404:
        raise not_found("That order") from None


def _owned(request, number: str) -> Order:
    """The order an action starts from (the response reads the detail once it is done)."""
    order = order_selectors.own_order(customer(request), number)
    if order is None:
        raise not_found("That order")
    return order


@router.get("/orders/{number}", response={200: OrderOut, **ERRORS}, url_name="order")
def order(request, number: str):
    return order_out(_own(request, number))


@router.post("/orders/{number}/cancel", response={200: OrderOut, **ERRORS})
def cancel(request, number: str):
    order = _owned(request, number)
    try:
        orders.cancel_order(order=order, actor=request.auth, by_customer=True)
    except OrderActionError as exc:
        raise ApiError(409, "not_allowed", str(exc)) from None
    return order_out(_own(request, number))


@router.post("/orders/{number}/return", response={200: OrderOut, **ERRORS})
def request_return(
    request,
    response: HttpResponse,
    number: str,
    body: ReturnIn,
    idempotency_key: str | None = idempotency.key_header(),
):
    return idempotency.once(
        request,
        response,
        user=customer(request),
        key=idempotency_key,
        payload=body.dict(),
        action=lambda: _request_return(request, number, body),
    )


def _request_return(request, number: str, body: ReturnIn):
    order = _owned(request, number)
    if body.reason not in ReturnRequest.Reason.values:
        raise bad_request(
            "Choose a reason.", {"reason": [f"One of: {', '.join(ReturnRequest.Reason.values)}."]}
        )
    try:
        orders.request_return(
            order=order,
            user=request.auth,
            reason=body.reason,
            details=body.details,
            lines=None if body.lines is None else {ln.line_id: ln.quantity for ln in body.lines},
            exchanges={
                ln.line_id: ln.exchange_variant_id for ln in body.lines or [] if ln.exchange_variant_id
            },
        )
    except OrderActionError as exc:
        raise ApiError(409, "not_allowed", str(exc)) from None
    return order_out(_own(request, number))
