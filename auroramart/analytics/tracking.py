from auroramart.core.rows import insert

from .models import CartAddition


def record_cart_addition(*, product, quantity, user_id, visitor, **_) -> None:
    """On CartItemAdded: remember the add for the funnel and the product figures."""
    insert(CartAddition, product=product, user_id=user_id, visitor=visitor, quantity=max(1, quantity))
