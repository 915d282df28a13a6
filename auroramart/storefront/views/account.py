"""The account overview (/account/): the shopper's recent orders, points and tier, wishlist and
addresses at a glance, with a way into each. It lives with the shop's faces because it reads
several apps (orders and loyalty sit above accounts)."""

from django.shortcuts import render

from auroramart.accounts import selectors as accounts
from auroramart.core.access import customer_required
from auroramart.loyalty import selectors as loyalty
from auroramart.loyalty.services import account_for
from auroramart.orders.selectors import orders_for


@customer_required
def overview(request):
    user = request.user
    points = account_for(user)
    return render(
        request,
        "accounts/overview.html",
        {
            "title": f"Hello, {user.first_name}" if user.first_name else "Your account",
            "tab": "overview",
            "recent_orders": list(orders_for(user)[:3]),
            "points": points,
            "progress": loyalty.progress(points),
            "wishlist": list(accounts.wishlist(user)[:4]),
            "addresses": list(accounts.addresses(user)[:2]),
        },
    )
