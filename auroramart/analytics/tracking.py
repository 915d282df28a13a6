from auroramart.search.services import visitor_id

from .models import CartAddition


def record_cart_addition(*, request, product, quantity, **_) -> None:
    """Cart step: remember the add for the funnel and the product figures."""
    try:
        quantity = max(1, int(quantity))
    except (TypeError, ValueError):
        quantity = 1
    CartAddition.objects.create(
        product=product,
        user=request.user if request.user.is_authenticated else None,
        visitor=visitor_id(request),
        quantity=quantity,
    )
