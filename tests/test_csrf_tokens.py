"""#23: a response's CSRF token is made without Django's per-character random draws, and is
still what Django's middleware expects: a new visitor's secret goes out in the cookie, the
page's token unmasks to it and is accepted, and secrets and masks are uniformly random."""

import re
import secrets
from collections import Counter

from django.middleware.csrf import CSRF_ALLOWED_CHARS, _check_token_format, _unmask_cipher_token
from django.test import Client, RequestFactory

from auroramart.core import held
from auroramart.core.held import csrf_token

from .factories import ProductFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_a_new_visitor_gets_a_secret_in_the_cookie_and_a_token_that_is_accepted(db):
    product = ProductFactory()
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(product.get_absolute_url())
    secret = page.cookies["csrftoken"].value
    token = TOKEN.search(page.content.decode()).group(1)
    _check_token_format(token)
    assert len(secret) == 32 and set(secret) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret
    assert (
        visitor.post(
            "/checkout/cart/add/", {"product_id": product.pk, "csrfmiddlewaretoken": token}
        ).status_code
        == 302
    )
    # A returning visitor keeps their secret: the next page's token unmasks to the same one.
    again = visitor.get(product.get_absolute_url())
    assert _unmask_cipher_token(TOKEN.search(again.content.decode()).group(1)) == secret
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    refused = Client(enforce_csrf_checks=True)
    refused.get(product.get_absolute_url())
    assert (
        refused.post(
            "/checkout/cart/add/", {"product_id": product.pk, "csrfmiddlewaretoken": forged}
        ).status_code
        == 403
    )


def test_secrets_and_masks_draw_every_character_equally_often():
    drawn = Counter("".join(held._random_csrf_string() for _ in range(3000)))
    expected = 3000 * 32 / len(CSRF_ALLOWED_CHARS)
    chi_square = sum((drawn[char] - expected) ** 2 / expected for char in CSRF_ALLOWED_CHARS)
    assert set(drawn) == set(CSRF_ALLOWED_CHARS)
    assert chi_square < 125  # 61 degrees of freedom: exceeded by chance about once in a million runs


def test_random_bytes_that_map_to_no_character_are_drawn_again(monkeypatch):
    """Bytes from 248 up are dropped (keeping every character equally likely); a draw that
    loses most of its bytes draws again rather than returning a short secret."""
    draws = iter([bytes([255] * 38 + [0, 61]), bytes(range(40))])
    monkeypatch.setattr(secrets, "token_bytes", lambda n: next(draws))
    drawn = held._random_csrf_string()
    assert len(drawn) == 32 and drawn.startswith("a9") and drawn[2:] == CSRF_ALLOWED_CHARS[:30]


def test_each_request_masks_anew_and_a_rotated_secret_is_followed():
    from django.middleware.csrf import rotate_token

    first, second = RequestFactory().get("/"), RequestFactory().get("/")
    second.META["CSRF_COOKIE"] = "x" * 32  # a returning visitor's secret
    tokens = [csrf_token(first), csrf_token(second), csrf_token(second)]
    assert tokens[1] == tokens[2] and _unmask_cipher_token(tokens[1]) == "x" * 32
    assert second.META["CSRF_COOKIE_NEEDS_UPDATE"] and first.META["CSRF_COOKIE_NEEDS_UPDATE"]
    rotate_token(second)
    assert _unmask_cipher_token(csrf_token(second)) == second.META["CSRF_COOKIE"] != "x" * 32
    masks = {csrf_token(RequestFactory().get("/"))[:32] for _ in range(50)}
    assert len(masks) == 50
