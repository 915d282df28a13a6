"""Browser tests: Playwright driving the system's Chromium (never a downloaded browser)
against the app served for real by Django's live server.

They are skipped, with a clear message, when no Chromium is installed, unless
AURORAMART_REQUIRE_BROWSER is set (as .ci/run does), where a missing browser fails.
On failure a screenshot and the page's console log go to AURORAMART_TEST_ARTIFACTS
(default: test-artifacts/).
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
ARTIFACTS = Path(
    os.environ.get("AURORAMART_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)


def chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    return next((path for name in CHROMIUM_CANDIDATES if (path := shutil.which(name))), None)


def pytest_collection_modifyitems(config, items):
    # .ci/run runs the browser tests once, in its PostgreSQL pass, and sets this for the other.
    elsewhere = os.environ.get("AURORAMART_BROWSER_TESTS_ELSEWHERE")
    if not elsewhere and (chromium_path() or os.environ.get("AURORAMART_REQUIRE_BROWSER")):
        return
    why = elsewhere or "no Chromium on this machine (install Debian's chromium to run them)"
    browser_items = [item for item in items if "browser" in item.keywords]
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {why}"))
    if browser_items:
        config.issue_config_time_warning(
            pytest.PytestWarning(f"{len(browser_items)} browser tests skipped: {why}"), stacklevel=2
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.fail("AURORAMART_REQUIRE_BROWSER is set but no Chromium was found")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.console_messages = console
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = request.node.nodeid.replace("/", "_").replace("::", "__").replace("[", "_").replace("]", "")
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        (ARTIFACTS / f"{stem}.console.log").write_text("\n".join(console) + f"\nURL: {page.url}\n")
    # Let lazy-loaded fragments (htmx) finish before the live server is torn down.
    with contextlib.suppress(Exception):  # best effort: the test's outcome is already decided
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()
