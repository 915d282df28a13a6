"""Webhooks: the provider telling the shop what happened to a payment, where the provider is the
source of truth (a payment that succeeds after the shopper closed the tab, a dispute).

The endpoint is POST /payments/webhooks/ (docs/payments.md). An event is verified by its
signature, recorded by its id, and turned into a domain event in that one transaction:
a duplicate delivery finds the id and does nothing; a failure records nothing, so the
provider's retry is handled afresh. Events of other types are recorded and ignored.
"""

import logging

from django.db import IntegrityError, transaction

from auroramart.core.events import publish

from .events import PaymentDisputed, PaymentFailed, PaymentSucceeded
from .gateway import PaymentGateway, ProviderEvent, from_minor_units
from .models import WebhookEvent

logger = logging.getLogger(__name__)


def receive(*, gateway: PaymentGateway, payload: bytes, signature: str) -> str:
    """Handle one delivery; returns "processed", "duplicate" or "ignored".
    Raises InvalidSignature for a payload the provider did not sign."""
    event = gateway.parse_webhook(payload=payload, signature=signature)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(gateway=gateway.name, event_id=event.id, type=event.type[:80])
        except IntegrityError:
            return "duplicate"
        handled = _dispatch(event)
    logger.info("webhook %s %s: %s", event.type, event.id, "processed" if handled else "ignored")
    return "processed" if handled else "ignored"


def _dispatch(event: ProviderEvent) -> bool:
    obj = event.object
    if event.type == "payment_intent.succeeded":
        number = (obj.get("metadata") or {}).get("order", "")
        publish(PaymentSucceeded(number, str(obj["id"]), str(obj.get("payment_method") or "")))
        return True
    if event.type in ("payment_intent.payment_failed", "payment_intent.canceled"):
        number = (obj.get("metadata") or {}).get("order", "")
        error = obj.get("last_payment_error") or {}
        message = error.get("message") or "Your bank could not confirm this payment."
        publish(PaymentFailed(number, str(obj["id"]), message))
        return True
    if event.type in ("charge.dispute.created", "charge.dispute.closed"):
        publish(
            PaymentDisputed(
                str(obj.get("payment_intent") or ""),
                str(obj.get("reason") or ""),
                from_minor_units(int(obj.get("amount") or 0)),
                str(obj.get("status") or ""),
            )
        )
        return True
    return False
