import json
import re

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from auroramart.core.access import customer_required

from . import builtin, services
from .gateway import GatewayError, InvalidSignature, get_gateway
from .webhooks import receive


@csrf_exempt  # the provider signs its webhooks instead; an unsigned post is refused below
@require_POST
def webhook(request):
    """POST /payments/webhooks/: the provider's events (docs/payments.md)."""
    try:
        outcome = receive(
            gateway=get_gateway(),
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
    except InvalidSignature as exc:
        return JsonResponse({"error": "invalid_signature", "detail": str(exc)}, status=400)
    return JsonResponse({"received": outcome})


@customer_required
def cards(request):
    return render(
        request,
        "payments/cards.html",
        {"cards": services.saved_cards(request.user), "title": "Saved cards", "tab": "cards"},
    )


@customer_required
@require_POST
def card_remove(request, pk):
    try:
        services.remove_card(user=request.user, card_id=pk)
    except services.CardError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Card removed. It can no longer be charged.")
    return redirect("payments:cards")


# --- the built-in test provider's own pages (only while it is the gateway) ----------------


def _test_provider():
    gateway = get_gateway()
    if not isinstance(gateway, builtin.TestGateway):
        raise Http404
    return gateway


LAST4 = re.compile(r"^\d{4}$")


@require_POST
def test_tokenise(request):
    """The test provider's tokenisation endpoint: what the browser made of a card (brand, last
    four, expiry, and what the test number means), never the number, becomes a payment method."""
    _test_provider()
    try:
        data = json.loads(request.body)
        month, year = int(data["exp_month"]), int(data["exp_year"])
        last4, behaviour, brand = str(data["last4"]), str(data["behaviour"]), str(data.get("brand", ""))
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": {"message": "Malformed card details."}}, status=400)
    if not LAST4.match(last4) or not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return JsonResponse({"error": {"message": "Malformed card details."}}, status=400)
    try:
        method = builtin.tokenise(
            behaviour=behaviour, brand=brand, last4=last4, exp_month=month, exp_year=year
        )
    except GatewayError as exc:
        return JsonResponse({"error": {"message": str(exc)}}, status=400)
    card = {"brand": method.brand, "last4": method.last4, "exp_month": month, "exp_year": year}
    return JsonResponse({"id": method.reference, "object": "payment_method", "card": card})


def test_authenticate(request, reference):
    """The test provider's 3-D Secure page, as a bank shows it: complete or fail."""
    gateway = _test_provider()
    if request.method == "POST":
        try:
            back = gateway.authenticate(reference=reference, approve=request.POST.get("outcome") == "approve")
        except GatewayError:
            raise Http404 from None
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            return redirect(back)
        return HttpResponseBadRequest("No return address.")
    return render(request, "payments/test_authenticate.html", {"title": "Confirm your payment"})
