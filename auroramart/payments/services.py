"""Saved cards: a customer's cards kept at the provider for next time (never their numbers),
and the provider-side customer they are attached to."""

import contextlib

from django.db import IntegrityError, transaction

from auroramart.core import rows
from auroramart.core.request_context import request_memo

from .gateway import GatewayError, PaymentGateway, get_gateway
from .models import PaymentCustomer, SavedCard


class CardError(Exception):
    """A card choice the shop cannot use (someone else's, or one already removed)."""


def saved_cards(user, gateway: PaymentGateway | None = None) -> list[SavedCard]:
    """The customer's cards with the shop's provider, newest first, read without building a
    query (every checkout page reads them, #23), and once per request: a checkout's submission
    offers them and then charges one (#23, twenty-first round). Saving or removing a card
    forgets them."""
    gateway = gateway or get_gateway()
    memo = request_memo.get()
    read = memo.setdefault(CARDS_READ, {}) if memo is not None else {}
    key = (user.pk, gateway.name)
    if key not in read:
        read[key] = rows.where(SavedCard, user_id=user.pk, gateway=gateway.name)
    return list(read[key])


# Where a request's memo keeps the cards it has read, by customer and provider (saved_cards).
CARDS_READ = "payments:saved_cards"


def _forget_cards() -> None:
    memo = request_memo.get()
    if memo is not None:
        memo.pop(CARDS_READ, None)


def saved_card(user, card_id) -> SavedCard:
    wanted = int(card_id) if str(card_id).isdigit() else None
    card = next((c for c in saved_cards(user) if c.pk == wanted), None)
    if card is None:
        raise CardError("Choose one of your saved cards, or enter a card.")
    if card.expired:
        raise CardError(f"Your {card} has expired. Choose another card.")
    return card


def customer_for(user, gateway: PaymentGateway) -> str:
    """The customer's id at the provider, made there the first time a card is saved."""
    found = PaymentCustomer.objects.filter(user=user, gateway=gateway.name).first()
    if found is not None:
        return found.reference
    reference = gateway.create_customer(email=user.email)
    try:
        with transaction.atomic():
            PaymentCustomer.objects.create(user=user, gateway=gateway.name, reference=reference)
    except IntegrityError:  # made by a concurrent checkout: keep theirs
        return PaymentCustomer.objects.get(user=user, gateway=gateway.name).reference
    return reference


def charge_customer(*, user, payment_method: str, save: bool, gateway: PaymentGateway) -> str:
    """The provider customer a charge is made for: the owner of a saved card, or the customer a
    new card is to be saved to; none for a guest or a card used once."""
    if user is None:
        return ""
    if save or any(card.payment_method == payment_method for card in saved_cards(user, gateway)):
        return customer_for(user, gateway)
    return ""


def remember_card(*, user, payment_method: str, gateway: PaymentGateway | None = None) -> SavedCard | None:
    """Keep a card the provider has attached to the customer (after it paid with `save`)."""
    gateway = gateway or get_gateway()
    if user is None or not payment_method:
        return None
    details = gateway.card_details(payment_method=payment_method)
    if details is None:
        return None
    card, _ = SavedCard.objects.get_or_create(
        gateway=gateway.name,
        payment_method=payment_method,
        defaults={
            "user": user,
            "brand": details.brand,
            "last4": details.last4,
            "exp_month": details.exp_month,
            "exp_year": details.exp_year,
        },
    )
    _forget_cards()
    return card


def remove_card(*, user, card_id) -> None:
    """Detach the card at the provider (it can never be charged again), then forget it."""
    card = SavedCard.objects.filter(user=user, pk=card_id).first() if str(card_id).isdigit() else None
    if card is None:
        raise CardError("That card is not saved to your account.")
    with contextlib.suppress(GatewayError):  # already gone there: forgetting it is all that is left
        get_gateway().detach(payment_method=card.payment_method)
    card.delete()
    _forget_cards()
