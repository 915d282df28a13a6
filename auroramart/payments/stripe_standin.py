"""A local stand-in for the few Stripe API endpoints the shop calls, so the Stripe adapter is
tested offline against real HTTP with the official library (tests/test_payment_gateways.py).

It answers as Stripe's API reference documents: form-encoded requests with a secret key,
JSON objects (`payment_intent`, `payment_method`, `customer`, `refund`, `search_result`),
errors as `{"error": {"type", "code", "decline_code", "message"}}` with Stripe's status codes,
and `Idempotency-Key` replaying the first response. Stripe's test payment methods keep their
meanings (`pm_card_visa`, `pm_card_chargeDeclined`, `pm_card_chargeDeclinedInsufficientFunds`,
`pm_card_threeDSecure2Required`, ...). What Stripe.js and the bank do is here too: POST
/v1/payment_methods tokenises a test card, and GET /3ds/<intent>?outcome=approve|fail is the
authentication page a `redirect_to_url` next action sends the shopper to.

    python -m auroramart.payments.stripe_standin 12111   # then STRIPE_API_BASE=http://127.0.0.1:12111
"""

import json
import re
import secrets
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlsplit

# Stripe's test payment methods: brand, last four, what charging them does.
TEST_METHODS = {
    "pm_card_visa": ("visa", "4242", "succeeds"),
    "pm_card_mastercard": ("mastercard", "4444", "succeeds"),
    "pm_card_chargeDeclined": ("visa", "0002", "card_declined"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds"),
    "pm_card_threeDSecure2Required": ("visa", "3220", "authenticate"),
}
NUMBERS = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
    "4000000000003220": "pm_card_threeDSecure2Required",
}
DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


def decode(body: str) -> dict:
    """Stripe's form encoding (`metadata[order]=X`, `payment_method_types[0]=card`) as a dict."""
    out: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class StripeError(Exception):
    def __init__(self, status: int, error: dict):
        super().__init__(error.get("message", ""))
        self.status, self.error = status, error


class Books:
    """The stand-in's state: what Stripe's database would hold."""

    def __init__(self):
        self.lock = threading.Lock()
        self.intents: dict[str, dict] = {}
        self.methods: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.replies: dict[str, tuple[int, dict]] = {}
        self.requests: list[tuple[str, str, dict]] = []  # what the shop sent, for contract tests
        self.base = ""

    # --- objects ----------------------------------------------------------------------------

    def method(self, pm: str) -> dict:
        if pm in self.methods:
            return self.methods[pm]
        if pm in TEST_METHODS:
            brand, last4, _ = TEST_METHODS[pm]
            return self._new_method(brand, last4, pm)
        raise StripeError(
            404,
            {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "payment_method",
                "message": f"No such PaymentMethod: '{pm}'",
            },
        )

    def _new_method(self, brand: str, last4: str, behaves_as: str, exp=(12, 2034)) -> dict:
        pm = {
            "id": f"pm_{secrets.token_hex(12)}",
            "object": "payment_method",
            "type": "card",
            "card": {
                "brand": brand,
                "last4": last4,
                "exp_month": exp[0],
                "exp_year": exp[1],
                "country": "US",
            },
            "customer": None,
            "created": int(time.time()),
            "livemode": False,
            "metadata": {},
            "_behaves_as": behaves_as,
        }
        self.methods[pm["id"]] = pm
        return pm

    def create_payment_intent(self, p: dict) -> dict:
        pm = self.method(p["payment_method"])
        behaviour = TEST_METHODS[pm["_behaves_as"]][2]
        if pm.get("_detached"):
            raise StripeError(
                400,
                {
                    "type": "invalid_request_error",
                    "message": "This PaymentMethod was previously used without being attached to a Customer "
                    "or was detached from a Customer, and may not be used again.",
                },
            )
        if p.get("customer") and pm["customer"] not in (None, p["customer"]):
            raise StripeError(
                400,
                {
                    "type": "invalid_request_error",
                    "message": "The provided PaymentMethod belongs to another customer.",
                },
            )
        intent = {
            "id": f"pi_{secrets.token_hex(12)}",
            "object": "payment_intent",
            "amount": int(p["amount"]),
            "amount_received": 0,
            "currency": p["currency"],
            "capture_method": p.get("capture_method", "automatic"),
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "customer": p.get("customer"),
            "metadata": p.get("metadata", {}),
            "payment_method": pm["id"],
            "setup_future_usage": p.get("setup_future_usage"),
            "status": "requires_confirmation",
            "next_action": None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "_return_url": p.get("return_url", ""),
        }
        self.intents[intent["id"]] = intent
        if p.get("confirm") != "true":
            return intent
        if behaviour in DECLINE_MESSAGES:
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline" if behaviour == "card_declined" else behaviour,
                "message": DECLINE_MESSAGES[behaviour],
                "payment_method": self.public(pm),
            }
            intent.update(status="requires_payment_method", last_payment_error=error)
            raise StripeError(402, error | {"payment_intent": self.public(intent)})
        if behaviour == "authenticate":
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": f"{self.base}/3ds/{intent['id']}",
                    "return_url": intent["_return_url"],
                },
            }
            return intent
        self._succeed(intent)
        return intent

    def _succeed(self, intent: dict) -> None:
        intent.update(status="succeeded", amount_received=intent["amount"], next_action=None)
        intent["latest_charge"] = f"ch_{secrets.token_hex(12)}"
        if intent["setup_future_usage"] and intent["customer"]:
            self.methods[intent["payment_method"]]["customer"] = intent["customer"]

    def authenticate(self, intent_id: str, approve: bool) -> dict:
        intent = self.intents[intent_id]
        if intent["status"] == "requires_action":
            if approve:
                self._succeed(intent)
            else:
                intent.update(
                    status="requires_payment_method",
                    next_action=None,
                    last_payment_error={
                        "type": "card_error",
                        "code": "payment_intent_authentication_failure",
                        "message": "The provided PaymentMethod has failed authentication.",
                    },
                )
        return intent

    def cancel(self, intent_id: str) -> dict:
        intent = self.intent(intent_id)
        if intent["status"] in ("succeeded", "canceled"):
            raise StripeError(
                400,
                {
                    "type": "invalid_request_error",
                    "code": "payment_intent_unexpected_state",
                    "message": f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                },
            )
        intent.update(status="canceled", next_action=None)
        return intent

    def intent(self, intent_id: str) -> dict:
        if intent_id not in self.intents:
            raise StripeError(
                404,
                {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": "No such payment_intent",
                },
            )
        return self.intents[intent_id]

    def refund(self, p: dict) -> dict:
        intent = self.intent(p["payment_intent"])
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        amount = int(p.get("amount", intent["amount_received"] - refunded))
        if intent["status"] != "succeeded" or amount > intent["amount_received"] - refunded:
            raise StripeError(
                400,
                {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded" if refunded else "amount_too_large",
                    "message": f"Refund amount ({amount}) is greater than unrefunded amount on charge.",
                },
            )
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": "succeeded",
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return refund

    def search(self, query: str) -> dict:
        match = re.fullmatch(r"metadata\['(\w+)'\]:'([^']*)'", query.strip())
        if not match:
            raise StripeError(400, {"type": "invalid_request_error", "message": "Unsupported query."})
        key, value = match.groups()
        data = [self.public(i) for i in self.intents.values() if i["metadata"].get(key) == value]
        return {
            "object": "search_result",
            "data": data,
            "has_more": False,
            "next_page": None,
            "url": "/v1/payment_intents/search",
        }

    def detach(self, pm_id: str) -> dict:
        pm = self.method(pm_id)
        if not pm["customer"]:
            raise StripeError(
                400,
                {
                    "type": "invalid_request_error",
                    "message": "The payment method you provided is not attached to a customer so detachment is impossible.",
                },
            )
        pm["customer"] = None
        pm["_detached"] = True
        return pm

    @staticmethod
    def public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}


class Handler(BaseHTTPRequestHandler):
    books: Books

    def log_message(self, *args):  # quiet in tests
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path.startswith("/3ds/"):  # the bank's page: the shopper confirms, then goes back
            outcome = parse_qs(url.query).get("outcome", ["approve"])[0]
            with self.books.lock:
                intent = self.books.authenticate(url.path.rsplit("/", 1)[1], outcome == "approve")
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", intent["_return_url"] or "/")
            self.end_headers()
            return
        self._api("GET", url.path, dict(parse_qsl(url.query)))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._api("POST", urlsplit(self.path).path, decode(self.rfile.read(length).decode()))

    def do_DELETE(self):
        self._api("DELETE", urlsplit(self.path).path, {})

    def _api(self, verb: str, path: str, params: dict) -> None:
        if not (self.headers.get("Authorization") or "").startswith("Bearer sk_test_"):
            self._reply(
                401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}}
            )
            return
        key = self.headers.get("Idempotency-Key")
        books = self.books
        with books.lock:
            books.requests.append((verb, path, params))
            if key and (verb, path, key) in books.replies:
                status, body = books.replies[(verb, path, key)]
            else:
                try:
                    status, body = 200, books.public(self._route(verb, path, params))
                except StripeError as exc:
                    status, body = exc.status, {"error": exc.error}
                except KeyError as exc:
                    status, body = (
                        400,
                        {
                            "error": {
                                "type": "invalid_request_error",
                                "message": f"Missing required param: {exc}.",
                            }
                        },
                    )
                if key:
                    books.replies[(verb, path, key)] = (status, body)
        self._reply(status, body)

    def _route(self, verb: str, path: str, p: dict) -> dict:
        books = self.books
        parts = path.strip("/").split("/")[1:]  # without "v1"
        match verb, parts:
            case "POST", ["payment_intents"]:
                return books.create_payment_intent(p)
            case "GET", ["payment_intents", "search"]:
                return books.search(p.get("query", ""))
            case "GET", ["payment_intents", intent_id]:
                return books.intent(intent_id)
            case "POST", ["payment_intents", intent_id, "cancel"]:
                return books.cancel(intent_id)
            case "POST", ["refunds"]:
                return books.refund(p)
            case "POST", ["customers"]:
                customer = {
                    "id": f"cus_{secrets.token_hex(7)}",
                    "object": "customer",
                    "email": p.get("email"),
                    "created": int(time.time()),
                }
                books.customers[customer["id"]] = customer
                return customer
            case "POST", ["payment_methods"]:  # what Stripe.js does in the browser
                card = p.get("card", {})
                number = str(card.get("number", "")).replace(" ", "")
                behaves_as = NUMBERS.get(number, "pm_card_visa")
                brand = TEST_METHODS[behaves_as][0]
                return books._new_method(
                    brand, number[-4:], behaves_as, (int(card["exp_month"]), int(card["exp_year"]))
                )
            case "GET", ["payment_methods", pm_id]:
                if books.method(pm_id).get("_detached"):
                    raise StripeError(
                        404,
                        {
                            "type": "invalid_request_error",
                            "code": "resource_missing",
                            "message": f"No such PaymentMethod: '{pm_id}'",
                        },
                    )
                return books.method(pm_id)
            case "POST", ["payment_methods", pm_id, "detach"]:
                return books.detach(pm_id)
        raise StripeError(
            404, {"type": "invalid_request_error", "message": f"Unrecognized request URL ({verb}: {path})."}
        )


def serve(port: int = 0) -> tuple[ThreadingHTTPServer, Books]:
    """Start the stand-in on a thread; returns the server (its port in server_address) and its books."""
    books = Books()
    handler = type("BoundHandler", (Handler,), {"books": books})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    books.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, books


if __name__ == "__main__":
    server, _ = serve(int(sys.argv[1]) if len(sys.argv) > 1 else 12111)
    print(f"Stripe stand-in on http://127.0.0.1:{server.server_address[1]}")
    threading.Event().wait()
