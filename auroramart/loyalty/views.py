from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from auroramart.cart.selectors import cart_summary
from auroramart.cart.storage import DbCart
from auroramart.cart.views import render_cart_body
from auroramart.core.access import customer_required
from auroramart.core.held import Held, render_held
from auroramart.core.htmx import is_htmx

from . import selectors, services
from .services import LoyaltyError


@customer_required
def dashboard(request):
    account = services.account_for(request.user)
    page = Paginator(selectors.history(account), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "loyalty/dashboard.html",
        {
            "account": account,
            "progress": selectors.progress(account),
            "rewards": selectors.available_rewards(account),
            "page": page,
            "title": "Loyalty points",
            "tab": "loyalty",
        },
    )


def _answer(request, *, error: str = "", message: str = ""):
    """htmx: the cart, re-rendered in place; a browser form: back to the page; otherwise JSON."""
    status = 400 if error else 200
    if is_htmx(request):
        return render_cart_body(request, error=error, status=status)
    if "text/html" in request.headers.get("Accept", ""):
        if error:
            messages.error(request, error)
        elif message:
            messages.success(request, message)
        target = request.POST.get("next", "")
        return redirect(target if target.startswith("/") and not target.startswith("//") else "cart:detail")
    summary = cart_summary(DbCart(request.user), user=request.user)
    account = services.account_for(request.user)
    return JsonResponse(
        {
            "ok": not error,
            "message": error or message,
            "balance": account.balance,
            "points_applied": summary.points,
            "points_discount": str(summary.points_discount),
            "reward": summary.reward.name if summary.reward else None,
            "reward_discount": str(summary.reward_discount),
            "total": str(summary.total),
        },
        status=status,
    )


@customer_required
@require_POST
def apply_points(request):
    try:
        message = services.apply_points_to_cart(
            request.user, DbCart(request.user), request.POST.get("points")
        )
    except LoyaltyError as exc:
        return _answer(request, error=str(exc))
    return _answer(request, message=message)


@customer_required
@require_POST
def apply_reward(request, reward_id):
    try:
        message = services.apply_reward_to_cart(request.user, DbCart(request.user), reward_id)
    except LoyaltyError as exc:
        return _answer(request, error=str(exc))
    return _answer(request, message=message)


@customer_required
@require_POST
def remove(request):
    DbCart(request.user).set_discount(None)
    return _answer(request, message="Loyalty discount removed.")


def cart_box(request, summary) -> str:
    """The loyalty box in the cart's summary (a cart summary extra)."""
    user = request.user
    if not (user.is_authenticated and not user.is_staff):
        return ""
    account = selectors.standing(user)
    if account is None:  # their first visit to the cart: the account is opened now
        opened = services.account_for(user)
        account = selectors.Standing(opened.balance, opened.tier.name, opened.tier.threshold)
    # Everything the box shows, as plain values: customers with the same balance, tier, choice
    # and rewards see the same box but for their CSRF token, so it is rendered once for that
    # and held (#23).
    shows = {
        "balance": account.balance,
        "tier_name": account.tier_name,
        "points": summary.points,
        "discounted": bool(summary.points or summary.reward),
        "rewards": [
            {"pk": r.pk, "name": r.name, "point_cost": r.point_cost}
            for r in selectors.rewards_for_tier(account.tier_threshold)
        ],
        "points_per_dollar": settings.LOYALTY_REDEEM_POINTS_PER_DOLLAR,
        "next": request.path,
    }
    return render_held(
        request,
        _held_boxes,
        shows,
        lambda extra: render_to_string("loyalty/_cart_box.html", {**shows, **extra}),
    )


_held_boxes: Held[str] = Held(size=512, seconds=60)


def order_points(request, order) -> str:
    """The points an order earned and spent, on the order page (an order detail extra)."""
    rows = selectors.order_points(order)
    if not rows:
        return ""
    return render_to_string("loyalty/_order_points.html", {"rows": rows})  # needs no context processor
