"""`make screenshots`: the README's pictures of the shop, taken from a fresh demo shop in
Debian's Chromium (Playwright, the system browser; nothing is downloaded) at desktop
(1366 × 900) and phone (390 × 844) sizes: home, listing, product, cart, checkout, account
overview, and the admin dashboard and analytics. Written beside this script."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from demo_shop import chromium, demo_shop  # noqa: E402  (bench/demo_shop.py)

OUT = Path(__file__).resolve().parent
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "auroramart-demo"  # noqa: S105 -- the documented demo password


def main() -> None:
    with demo_shop() as base:
        shoot(chromium(), base)


def shoot(chromium: str, base: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        for size, viewport in SIZES.items():
            shopper = browser.new_context(viewport=viewport, base_url=base).new_page()
            shopper.goto("/")
            snap(shopper, "home", size)
            shopper.goto("/item/")
            snap(shopper, "listing", size)
            shopper.goto("/login/")
            shopper.get_by_label("Email address").fill("customer@auroramart.test")
            shopper.get_by_label("Password").fill(PASSWORD)
            shopper.get_by_role("button", name="Sign in").click()
            shopper.wait_for_url(f"{base}/")
            shopper.goto("/item/")
            shopper.locator("#product-grid article h3 a").first.click()
            shopper.wait_for_load_state("networkidle")
            snap(shopper, "product", size)
            add = shopper.get_by_role("button", name="Add to cart")
            if add.count():
                add.first.click()
                shopper.wait_for_load_state("networkidle")
            shopper.goto("/checkout/cart/")
            snap(shopper, "cart", size)
            shopper.goto("/checkout/checkout/")
            snap(shopper, "checkout", size)
            shopper.goto("/account/")
            snap(shopper, "account", size)
            staff = browser.new_context(viewport=viewport, base_url=base).new_page()
            staff.goto("/admin-panel/login/")
            staff.get_by_label("Email").fill("superadmin@auroramart.test")
            staff.get_by_label("Password").fill(PASSWORD)
            staff.get_by_role("button", name="Sign in").click()
            staff.wait_for_url(f"{base}/admin-panel/")
            snap(staff, "admin-dashboard", size)
            staff.goto("/admin-panel/analytics/")
            snap(staff, "admin-analytics", size)
        browser.close()


def snap(page, name: str, size: str) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(path))
    print(f"   {path.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
