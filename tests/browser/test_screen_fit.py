"""Every page fits the screen, from a phone (390 px) through a tablet (768) to a small
laptop (1024): no sideways scrolling in the shop or the admin panel."""

import pytest

from tests.browser.test_accessibility import sign_in
from tests.browser.test_admin_journeys import staff_sign_in
from tests.test_admin_panel import panel_urls, roles, world  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# A phone, a tablet and a small laptop. Each page loads once, on the phone, where a script
# that lays the page out at load matters most, and is then widened: a layout left over
# from a narrower screen cannot make a page wider than the wider one.
WIDTHS = (390, 768, 1024)
HEIGHT = 844
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(done))))"


def too_wide(page, urls, widths=WIDTHS):
    """Visit each HTML page among `urls` at each of `widths`, narrowest first; return (url, width,
    culprits) for those wider than the screen, and how many pages were seen. The screen keeps
    its height."""
    height = page.viewport_size["height"] if page.viewport_size else HEIGHT
    seen, wide = 0, []
    for url in urls:
        probe = page.request.get(url, max_redirects=0)
        if probe.status != 200 or "text/html" not in probe.headers.get("content-type", ""):
            continue  # POST-only actions, redirects and CSV downloads
        page.set_viewport_size({"width": widths[0], "height": height})
        page.goto(url)
        page.wait_for_load_state("networkidle")  # lazy fragments (htmx) are part of the page
        seen += 1
        for width in widths:
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate(SETTLED)  # charts redraw on a resize observer, a frame or two later
            if page.evaluate("document.documentElement.scrollWidth") > width:
                culprits = page.evaluate(f"""() => Array.from(document.querySelectorAll('body *'))
                    .filter(e => e.getBoundingClientRect().right > {width + 1})
                    .slice(0, 4).map(e => e.tagName + '.' + e.className)""")
                wide.append((url, width, culprits))
    return seen, wide


def test_every_panel_page_fits_every_screen(page, world):  # noqa: F811
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    staff_sign_in(page, "superadmin@staff.test")
    urls = [
        url for name, url, _view in panel_urls(world) if name not in {"logout", "login", "password_reset"}
    ]
    seen, wide = too_wide(page, urls)
    assert seen >= 25
    assert wide == []


def test_every_shop_page_fits_every_screen(page, world):  # noqa: F811
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    product, order = world["product"], world["order"]
    category = product.subcategory.category
    guest = ["/register/", "/login/", "/password-reset/", "/about/", "/faq/", "/contact/"]
    seen, wide = too_wide(page, guest)
    sign_in(page, world["customer"].email, "correct-horse-battery")
    shopper = [
        "/",
        "/item/",
        "/item/?sort=price_desc&min_price=1",
        category.get_absolute_url(),
        product.get_absolute_url(),
        f"/search/?q={product.name.split()[0]}",
        "/checkout/cart/",
        "/profile/",
        "/profile/addresses/",
        "/profile/addresses/new/",
        "/profile/password/",
        "/wishlist/",
        "/notifications/",
        "/orders/",
        order.get_absolute_url(),
        f"/orders/{order.number}/invoice/",
        "/loyalty/",
    ]
    more_seen, more_wide = too_wide(page, shopper)
    assert seen + more_seen >= 20
    assert wide + more_wide == []
