"""Parts of the order page that other apps provide (wired in auroramart/wiring.py): each
provider takes (request, order) and returns HTML (the points the order earned and spent)."""

from auroramart.core.events import ExtensionPoint

detail = ExtensionPoint("orders.detail", "On a customer's order page, below the lines.")
