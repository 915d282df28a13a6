"""`make screenshots`: the README's pictures of the shop, taken from a fresh demo shop in
Debian's Chromium (Playwright, the system browser; nothing is downloaded) at desktop
(1366 × 900) and phone (390 × 844) sizes: home, listing, product, cart, checkout, account
overview, and the admin dashboard and analytics. Written beside this script."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORD = "auroramart-demo"  # noqa: S105 -- the documented demo password


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("Chromium is needed (Debian: apt-get install chromium)")
    work = Path(tempfile.mkdtemp(prefix="auroramart-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'shop.sqlite3'}",
        "DEBUG": "false",
        "AURORAMART_DEMO": "true",
        "STATIC_MANIFEST": "false",
        "MEDIA_ROOT": str(work / "media"),
        "RECOMMENDATION_MODEL_DIR": str(work / "models"),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
        )

    print("== a demo shop (a minute)", flush=True)
    manage("migrate", "--no-input")
    manage("setup_admin")
    manage(
        "create_sample_data",
        "--products",
        "160",
        "--customers",
        "40",
        "--orders",
        "400",
        "--analytics-days",
        "40",
    )
    manage("train_models", "--if-missing")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 -- our own local server
                break
            except OSError:
                time.sleep(0.2)
        shoot(chromium, base)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


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
