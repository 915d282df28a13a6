"""The shop's URL patterns are listed with the pages asked for most first, because Django tries
them in order (#23: the cart and checkout pages walked the account pages' patterns first). An
order is only allowed if it changes nothing: every address still reaches the pattern written
for it, and none is shadowed by a pattern earlier in the list."""

import re

from django.urls import URLPattern, URLResolver, get_resolver, resolve

SAMPLE = {
    "int": "7",
    "slug": "a-slug",
    "str": "word",
    "path": "a/path",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def every_pattern():
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, prefix + route, inner)
            elif isinstance(pattern, URLPattern) and "(?P" not in route and "^" not in route:
                address = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], prefix + route)
                found.append(("/" + address, prefix + route, pattern))

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_address_reaches_the_pattern_written_for_it():
    patterns = every_pattern()
    assert len(patterns) > 150
    shadowed = [
        (address, route, resolve(address).route)
        for address, route, _ in patterns
        if resolve(address).route != route
    ]
    assert shadowed == []


def test_the_money_pages_are_found_before_the_account_pages():
    routes = [route for _, route, _ in every_pattern()]
    for money in ("checkout/cart/", "checkout/cart/update/<int:variant_id>/", "checkout/checkout/"):
        assert routes.index(money) < routes.index("profile/") < routes.index("loyalty/")
