"""Parts of the cart page that other apps provide (wired in auroramart/wiring.py). Each
provider takes (request, summary) and returns HTML; they are page fragments, not business
rules, so the API never needs them."""

from auroramart.core.events import ExtensionPoint

summary = ExtensionPoint("cart.summary", "In the order summary, below the totals (the loyalty box).")
below_cart = ExtensionPoint("cart.below", "Below the cart's lines (Complete the set).")
