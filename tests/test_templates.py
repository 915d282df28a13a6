"""Template conventions that keep per-request rendering cheap (#23), and the Jinja2 templates
(core/jinja.py) held to what the Django ones guarantee: they compile, and they escape."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix

from auroramart.cart.storage import DbCart
from auroramart.catalog.models import ProductVariant
from auroramart.core.reversing import reverse_held

from .factories import AddressFactory, CustomerFactory, ProductFactory, variant

PACKAGE = Path(__file__).resolve().parents[1] / "auroramart"
DJANGO_TEMPLATES = sorted((PACKAGE / "templates").rglob("*.html"))
JINJA2_TEMPLATES = sorted((PACKAGE / "jinja2").rglob("*.html"))
# A form that reverses one URL for its action and again for htmx: reverse it once
# (`{% url … as form_url %}`, `{% set form_url = url(…) %}`). On the cart page this was a third
# of its URL reversals.
REVERSED_TWICE = (
    re.compile(r'action="\{% url ([^%]+?) %\}"[^>]*?hx-(?:post|get)="\{% url \1 %\}"'),
    re.compile(r'action="\{\{ url\(([^}]+?)\) \}\}"[^>]*?hx-(?:post|get)="\{\{ url\(\1\) \}\}"'),
)


def short(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.mark.parametrize("template", DJANGO_TEMPLATES + JINJA2_TEMPLATES, ids=short)
def test_a_form_reverses_its_url_once(template):
    twice = [found for pattern in REVERSED_TWICE for found in pattern.findall(template.read_text())]
    assert not twice, f"reverse it once, into a variable: {twice}"


def test_the_jinja2_templates_are_the_cart_and_the_checkout():
    """Jinja2 is for what is rendered per shopper on the money path; everything else stays in
    one template language (a page moved without a reason is two languages to read)."""
    assert [short(t) for t in JINJA2_TEMPLATES] == [
        "jinja2/cart/_cart_body.html",
        "jinja2/cart/_totals.html",
        "jinja2/orders/_checkout_address.html",
        "jinja2/orders/_checkout_body.html",
        "jinja2/orders/_checkout_delivery.html",
        "jinja2/orders/_checkout_summary.html",
    ]
    names = {short(t).split("/", 1)[1] for t in JINJA2_TEMPLATES}
    assert not names & {short(t).split("/", 1)[1] for t in DJANGO_TEMPLATES}, "one name, one template"


@pytest.mark.parametrize("template", JINJA2_TEMPLATES, ids=short)
def test_every_jinja2_template_compiles(template):
    """Compiled whole, every branch: a slip in a branch few requests take (an htmx swap, an
    error) fails here rather than in front of a shopper."""
    engines["jinja2"].get_template(str(template.relative_to(PACKAGE / "jinja2")))


HOSTILE = '<script>alert("owned")</script>'


@pytest.fixture
def hostile_cart(client, db):
    """A cart whose product, variant, address and coupon code carry markup, as a careless or
    malicious import or a shopper's own form could put there."""
    user = CustomerFactory()
    AddressFactory(user=user, is_default_shipping=True, full_name=HOSTILE, line1=HOSTILE)
    product = ProductFactory(name=HOSTILE, price=Decimal("12.00"), stock_quantity=10)
    ProductVariant.objects.filter(pk=variant(product).pk).update(name=HOSTILE)
    DbCart(user).set_item(variant(product).pk, 1, product.price)
    client.force_login(user)
    return variant(product)


HTMX = {"HTTP_HX_REQUEST": "true"}
# Every page a Jinja2 template renders, and each branch that shows what was typed.
PAGES = {
    "cart page": lambda client, v: client.get("/checkout/cart/"),
    "cart swapped in after a change": lambda client, v: client.post(
        f"/checkout/cart/update/{v.pk}/", {"quantity": 2}, **HTMX
    ),
    "cart with a refused coupon": lambda client, v: client.post(
        "/checkout/cart/coupon/", {"code": HOSTILE[:40]}, **HTMX
    ),
    "checkout page": lambda client, v: client.get("/checkout/checkout/"),
    "checkout summary swapped in": lambda client, v: client.get(
        "/checkout/checkout/summary/", {"shipping_method": "standard"}
    ),
    "checkout sent back with errors": lambda client, v: client.post(
        "/checkout/checkout/", {"address": "new", "full_name": HOSTILE, "shipping_method": "standard"}
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_what_was_typed_is_escaped_on_every_jinja2_page(client, hostile_cart, page):
    response = PAGES[page](client, hostile_cart)
    body = response.content.decode()
    assert response.status_code in (200, 400), body[:500]
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body


def test_a_remembered_reversal_follows_the_prefix_the_shop_is_served_under(client, hostile_cart):
    """URLs are reversed once per process (core/reversing.py); a shop served under a path
    prefix (SCRIPT_NAME behind a proxy: the WSGI handler sets it per request) still links under
    it, and one at the root at the root."""
    update = reverse("cart:update", args=[hostile_cart.pk])
    product = hostile_cart.product.get_absolute_url()
    assert reverse_held("cart:update", hostile_cart.pk) == update
    set_script_prefix("/shop/")
    try:
        served_under = client.get("/checkout/cart/").content.decode()
    finally:
        set_script_prefix("/")
    assert f'action="/shop{update}"' in served_under and f'href="/shop{product}' in served_under
    at_the_root = client.get("/checkout/cart/").content.decode()
    assert f'action="{update}"' in at_the_root and f'href="{product}' in at_the_root
    assert f"/shop{update}" not in at_the_root and f"/shop{product}" not in at_the_root


@pytest.mark.parametrize("language", ["django", "jinja2"])
def test_url_in_either_language_is_remembered_per_prefix_and_fails_as_django_does(language):
    """Django's {% url %} is replaced by one that reverses through core.reversing
    (core/templatetags/urls.py), as the Jinja2 `url` does: the same answers, under each script
    prefix its own, and an unknown name is Django's NoReverseMatch, or nothing with `as`."""
    source = {
        "django": (
            "{% url 'cart:update' 7 %}|{% url 'catalog:product' slug='lamp' %}",
            "{% url 'no:such' %}",
        ),
        "jinja2": (
            "{{ url('cart:update', 7) }}|{{ url('catalog:product', slug='lamp') }}",
            "{{ url('no:such') }}",
        ),
    }[language]
    engine = engines[language]
    expected = f"{reverse('cart:update', args=[7])}|{reverse('catalog:product', kwargs={'slug': 'lamp'})}"
    assert engine.from_string(source[0]).render({}) == expected
    set_script_prefix("/shop/")
    try:
        assert engine.from_string(source[0]).render({}) == "|".join(f"/shop{u}" for u in expected.split("|"))
    finally:
        set_script_prefix("/")
    assert engine.from_string(source[0]).render({}) == expected
    with pytest.raises(NoReverseMatch):
        engine.from_string(source[1]).render({})
    if language == "django":
        assert engines["django"].from_string("{% url 'no:such' as gone %}[{{ gone }}]").render({}) == "[]"


@pytest.mark.parametrize("language", ["django", "jinja2"])
def test_a_url_is_reversed_once_per_process(language, monkeypatch):
    from auroramart.core import reversing

    calls = []
    monkeypatch.setattr(reversing, "reverse", lambda *a, **k: calls.append(a) or reverse(*a, **k))
    variant_id = {"django": 987_651, "jinja2": 987_652}[language]
    source = {"django": "{% url 'cart:update' n %}", "jinja2": "{{ url('cart:update', n) }}"}[language]
    template = engines[language].from_string(source)
    pages = [template.render({"n": variant_id}) for _ in range(3)]
    assert pages == [reverse("cart:update", args=[variant_id])] * 3 and len(calls) == 1


def test_the_jinja2_templates_render_the_same_with_debug_on(settings):
    """The demo runs with DEBUG on; an undefined name must render as in production (nothing),
    not as Django's backend would with DEBUG ("{{ name }}")."""
    from django.template.backends.jinja2 import Jinja2

    settings.DEBUG = True
    engine = Jinja2(
        {
            "NAME": "debug",
            "DIRS": [PACKAGE / "jinja2"],
            "APP_DIRS": False,
            "OPTIONS": {**next(t for t in settings.TEMPLATES if t.get("NAME") == "jinja2")["OPTIONS"]},
        }
    )
    assert engine.from_string("[{{ not_given }}]").render({}) == "[]"
