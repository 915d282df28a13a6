from ninja import Query, Router

from auroramart.loyalty import selectors, services
from auroramart.loyalty.models import LoyaltyTier
from auroramart.recommendations import services as recommendations

from .auth import customer, token_auth
from .errors import ERRORS
from .pagination import MAX_PAGE_SIZE, cursor_query, page_of
from .schemas import LoyaltyOut, LoyaltyPage, RecommendedProductOut, RewardOut
from .serializers import product_out

router = Router(tags=["loyalty and recommendations"], auth=token_auth)


@router.get("/loyalty", response={200: LoyaltyOut, **ERRORS})
def balance(request):
    account = services.account_for(customer(request))
    following = LoyaltyTier.objects.filter(threshold__gt=account.tier.threshold).order_by("threshold").first()
    return {
        "balance": account.balance,
        "tier": account.tier.name,
        "multiplier": account.tier.multiplier,
        "qualifying_points": account.qualifying_points,
        "next_tier": following.name if following else None,
        "points_to_next_tier": max(0, following.threshold - account.qualifying_points) if following else None,
        "points_value": services.points_value(account.balance),
    }


@router.get("/loyalty/transactions", response={200: LoyaltyPage, **ERRORS})
def transactions(
    request,
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
    cursor: str | None = cursor_query(),
):
    account = services.account_for(customer(request))
    rows = account.transactions.order_by("-created_at", "-pk")
    return page_of(
        rows,
        page,
        page_size,
        lambda t: {
            "kind": t.kind,
            "points": t.points,
            "balance_after": t.balance_after,
            "order_number": t.order_number,
            "reason": t.reason,
            "created_at": t.created_at,
        },
        cursor=cursor,
        request=request,
    )


@router.get("/loyalty/rewards", response={200: list[RewardOut], **ERRORS})
def rewards(request):
    account = services.account_for(customer(request))
    return [
        {"id": r.pk, "name": r.name, "description": r.description, "point_cost": r.point_cost}
        for r in selectors.available_rewards(account)
    ]


@router.get("/recommendations/for-me", response={200: list[RecommendedProductOut], **ERRORS})
def for_me(request):
    products, _version = recommendations.for_customer(customer(request), limit=8)
    return [{**product_out(p), "reason": p.reason} for p in products]
