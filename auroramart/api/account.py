from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from ninja import Router, Status

from auroramart.accounts import services as account_services
from auroramart.accounts.models import DEMOGRAPHIC_FIELDS, Address, CustomerProfile
from auroramart.accounts.services import (
    Demographics,
    add_to_wishlist,
    delete_address,
    remove_from_wishlist,
    save_address,
    update_profile,
)
from auroramart.catalog.models import Product
from auroramart.catalog.selectors import with_card_data
from auroramart.payments import services as payment_services
from auroramart.staff import signin, two_factor

from . import idempotency, tokens
from .auth import customer, token_auth
from .errors import ERRORS, ApiError, bad_request, not_found
from .schemas import (
    AddressIn,
    AddressOut,
    MessageOut,
    PathId,
    ProductOut,
    ProfileIn,
    ProfileOut,
    RefreshIn,
    SavedCardOut,
    TokenIn,
    TokenOut,
)
from .serializers import product_out
from .throttling import ClientRateThrottle

router = Router(tags=["account"])
CHOICES = {
    "gender": CustomerProfile.Gender.values,
    "employment_status": CustomerProfile.Employment.values,
    "occupation": CustomerProfile.Occupation.values,
    "education": CustomerProfile.Education.values,
}


@router.post(
    "/auth/token",
    response={201: TokenOut, **ERRORS},
    throttle=[ClientRateThrottle(settings.API_SIGN_IN_RATE, scope="sign-in")],
    auth=None,
)
def sign_in(request, body: TokenIn):
    """Exchange an email and password for a bearer token (shown once). Throttled as on the sign-in
    pages: growing delays per account and address, per address, and per account (429 with
    Retry-After). Staff with two-factor sign-in also send `otp`."""
    email = body.email.strip().lower()
    wait = signin.wait_seconds(request, email)
    if wait:
        signin.record(request, email, success=False, area="api", throttled=True)
        raise ApiError(
            429,
            "rate_limited",
            f"Too many failed sign-in attempts. Try again in {signin.describe_wait(wait)}.",
            headers={"Retry-After": str(wait)},
        )
    user = authenticate(request, username=email, password=body.password)
    if user is None or not user.is_active:
        signin.record(request, email, success=False, area="api")
        raise ApiError(401, "invalid_credentials", "The email address or password is not right.")
    if two_factor.needs_second_step(user):
        if not two_factor.enabled_for(user):
            raise ApiError(
                403, "two_factor_setup_required", "Set up two-factor sign-in in the admin panel first."
            )
        if two_factor.verify(user, body.otp) is None:
            signin.record(request, email, user, success=False, area="api")
            raise ApiError(
                401,
                "two_factor_required",
                "Send the code from your authenticator app (or a recovery code) as `otp`.",
                {"otp": ["A valid code is required."]},
            )
    signin.record(request, email, user, success=True, area="api")
    if not user.is_staff:
        account_services.signed_in(user=user)
    return Status(201, _tokens(tokens.sign_in(user, body.name)))


def _tokens(pair: tokens.Pair) -> dict:
    return {
        "token": pair.access,
        "expires_at": pair.access_expires_at,
        "refresh_token": pair.refresh,
        "refresh_expires_at": pair.refresh_expires_at,
        "staff": pair.staff,
    }


@router.post(
    "/auth/refresh",
    response={201: TokenOut, **ERRORS},
    throttle=[ClientRateThrottle("30/m", scope="refresh")],
    auth=None,
)
def refresh(request, body: RefreshIn):
    """Trade a refresh token for a new access token and a new refresh token; the old one is
    spent. A spent one sent again revokes every token of that sign-in (401
    `refresh_token_reused`); an expired one is 401 `refresh_token_expired`."""
    return Status(201, _tokens(tokens.refresh(body.refresh_token)))


@router.delete("/auth/token", response={200: MessageOut, **ERRORS}, auth=token_auth)
def sign_out(request):
    request.api_token.revoke()
    return {"message": "Token revoked."}


def _profile(user) -> dict:
    p = getattr(user, "profile", None)
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        **{f: getattr(p, f, None) for f in DEMOGRAPHIC_FIELDS},
        "marketing_opt_in": p.marketing_opt_in if p else False,
        "predicted_categories": (p.predicted_categories or []) if p else [],
    }


@router.get("/me", response={200: ProfileOut, **ERRORS}, auth=token_auth)
def me(request):
    return _profile(customer(request))


@router.patch("/me", response={200: ProfileOut, **ERRORS}, auth=token_auth)
def update_me(request, body: ProfileIn):
    user = customer(request)
    changes = body.dict(exclude_unset=True)
    wrong = {
        f: [f"Choose one of: {', '.join(CHOICES[f])}."]
        for f in CHOICES
        if f in changes and changes[f] not in CHOICES[f]
    }
    if wrong:
        raise bad_request("Some fields are not valid.", wrong)
    p = getattr(user, "profile", None)
    current = {f: getattr(p, f, None) for f in Demographics.__dataclass_fields__}
    merged = {**current, **{k: v for k, v in changes.items() if k in current and v is not None}}
    missing = {f: ["Required: the profile is not filled in yet."] for f, v in merged.items() if v is None}
    if missing:
        raise bad_request("Fill in every demographic field the first time.", missing)
    demographics = Demographics(**merged)
    update_profile(
        user=user,
        first_name=changes.get("first_name") or user.first_name,
        last_name=changes.get("last_name") or user.last_name,
        demographics=demographics,
        marketing_opt_in=changes["marketing_opt_in"]
        if changes.get("marketing_opt_in") is not None
        else bool(p and p.marketing_opt_in),
        preferred_categories=list(p.preferred_categories.all()) if p else [],
    )
    user.refresh_from_db()
    return _profile(user)


def _address(a: Address) -> dict:
    fields = ("id", "label", "full_name", "phone", "line1", "line2", "postal_code", "city", "region")
    return {
        **{f: getattr(a, f) for f in fields},
        "country": str(a.country),
        "is_default_shipping": a.is_default_shipping,
        "is_default_billing": a.is_default_billing,
    }


@router.get("/me/addresses", response={200: list[AddressOut], **ERRORS}, auth=token_auth)
def addresses(request):
    return [_address(a) for a in customer(request).addresses.order_by("pk")]


@router.post("/me/addresses", response={201: AddressOut, **ERRORS}, auth=token_auth)
def add_address(
    request, response: HttpResponse, body: AddressIn, idempotency_key: str | None = idempotency.key_header()
):
    """Save an address; with an Idempotency-Key, a retry saves it once."""
    user = customer(request)

    def action():
        try:
            with transaction.atomic():
                address = save_address(user=user, data=body.dict())
        except ValidationError as exc:
            raise bad_request(
                "The address is not valid.", exc.message_dict if hasattr(exc, "message_dict") else {}
            ) from None
        response["Location"] = reverse("api-v1:address", kwargs={"address_id": address.pk})
        return Status(201, _address(address))

    return idempotency.once(
        request, response, user=user, key=idempotency_key, payload=body.dict(), action=action
    )


@router.get(
    "/me/addresses/{address_id}", response={200: AddressOut, **ERRORS}, auth=token_auth, url_name="address"
)
def address(request, address_id: PathId):
    found = Address.objects.filter(user=customer(request), pk=address_id).first()
    if found is None:
        raise not_found("That address")
    return _address(found)


@router.delete("/me/addresses/{address_id}", response={200: MessageOut, **ERRORS}, auth=token_auth)
def remove_address(request, address_id: PathId):
    user = customer(request)
    address = Address.objects.filter(user=user, pk=address_id).first()
    if address is None:
        raise not_found("That address")
    with transaction.atomic():
        delete_address(user=user, address=address)
    return {"message": "Address deleted."}


def _card(card) -> dict:
    return {
        "id": card.pk,
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "expired": card.expired,
    }


@router.get("/me/cards", response={200: list[SavedCardOut], **ERRORS}, auth=token_auth)
def cards(request):
    """Cards saved at checkout (`save_card`): pay with one by its id (`saved_card_id`)."""
    return [_card(c) for c in payment_services.saved_cards(customer(request))]


@router.delete("/me/cards/{card_id}", response={200: MessageOut, **ERRORS}, auth=token_auth)
def remove_card(request, card_id: PathId):
    """Forget a saved card; it is detached at the provider and can never be charged again."""
    try:
        payment_services.remove_card(user=customer(request), card_id=card_id)
    except payment_services.CardError:
        raise not_found("That card") from None
    return {"message": "Card removed."}


@router.get("/me/wishlist", response={200: list[ProductOut], **ERRORS}, auth=token_auth)
def wishlist(request):
    user = customer(request)
    products = with_card_data(Product.objects.filter(wishlisted_by__user=user, is_active=True)).order_by(
        "-wishlisted_by__created_at"
    )
    return [product_out(p) for p in products]


@router.put("/me/wishlist/{product_id}", response={200: MessageOut, **ERRORS}, auth=token_auth)
def save_to_wishlist(request, product_id: PathId):
    user = customer(request)
    product = Product.objects.filter(pk=product_id, is_active=True).first()
    if product is None:
        raise not_found("That product")
    add_to_wishlist(user=user, product=product)
    return {"message": f"{product.name} is in your wishlist."}


@router.delete("/me/wishlist/{product_id}", response={200: MessageOut, **ERRORS}, auth=token_auth)
def drop_from_wishlist(request, product_id: PathId):
    if not remove_from_wishlist(user=customer(request), product_id=product_id):
        raise not_found("That wishlist item")
    return {"message": "Removed from your wishlist."}
