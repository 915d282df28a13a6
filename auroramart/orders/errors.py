"""What placement and the workflow refuse, in words for the customer or staff."""


class CheckoutError(Exception):
    """Why an order could not be placed, in words for the customer. Nothing was written or charged."""


class PaymentFailed(CheckoutError):
    """The card was tried and did not pay (declined, timed out, gateway error). Nothing was kept:
    the reservation is given back. An API replay of the same request answers the same failure."""


class PlacementInProgress(CheckoutError):
    """The same checkout (same idempotency key) is being placed by another request right now,
    or is waiting for the shopper to confirm the payment at `action_url` (3-D Secure)."""

    def __init__(self, message: str, order_number: str, action_url: str = ""):
        super().__init__(message)
        self.order_number = order_number
        self.action_url = action_url


class EmptyCart(CheckoutError):
    """Nothing to place: the cart is empty (emptied in another tab, say)."""


class CartAlreadyPlaced(CheckoutError):
    """This cart was (or is being) placed by another checkout; it is consumed by the first one."""

    def __init__(self, message: str, order_number: str):
        super().__init__(message)
        self.order_number = order_number


class OrderActionError(Exception):
    pass
