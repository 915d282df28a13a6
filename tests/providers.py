"""The two card providers, for tests that must hold for both: the built-in test provider, and
Stripe's adapter talking real HTTP to the local stand-in (payments/stripe_standin.py).

Each is a `Provider`: the gateway, and what the shopper's browser and bank do at the
provider (tokenise a card, answer 3-D Secure), so a test can play the whole flow offline."""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from auroramart.payments.builtin import TestGateway, sign
from auroramart.payments.gateway import PaymentGateway

WEBHOOK_SECRET = "whsec_test_contract"


@dataclass
class Provider:
    name: str
    gateway: PaymentGateway
    books: Any = None  # the stand-in's state (Stripe only)

    def authenticate(self, action_url: str, approve: bool = True) -> str:
        """The shopper confirms (or fails) 3-D Secure at the provider; returns where it sends them back."""
        if self.name == "test":
            reference = urlsplit(action_url).path.rstrip("/").rsplit("/", 1)[1]
            assert isinstance(self.gateway, TestGateway)
            return self.gateway.authenticate(reference=reference, approve=approve)
        answer = requests.get(
            action_url, params={"outcome": "approve" if approve else "fail"}, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302
        return answer.headers["Location"]


def return_path(url: str) -> str:
    """The shop's own path of an absolute return URL (the Django test client speaks paths)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def signed(event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    return payload, sign(payload, secret, timestamp)


@pytest.fixture
def stripe_standin(settings):
    from auroramart.payments import stripe_standin

    server, books = stripe_standin.serve()
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_standin"
    settings.STRIPE_API_BASE = books.base
    yield books
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["test", "stripe"])
def provider(request, settings) -> Provider:
    """Each test using this runs once per provider, with the gateway selected by settings."""
    settings.PAYMENT_WEBHOOK_SECRET = WEBHOOK_SECRET
    if request.param == "test":
        settings.PAYMENT_GATEWAY = "test"
        return Provider("test", TestGateway())
    books = request.getfixturevalue("stripe_standin")
    from auroramart.payments.stripe_gateway import StripeGateway

    return Provider("stripe", StripeGateway(), books)


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
