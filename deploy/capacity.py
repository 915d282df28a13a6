"""Capacity of the cluster deploy/cluster.py starts (`python deploy/cluster.py --measure`):
pages and orders per second through one node and through the balancer to two, with the CPU
each request costs the app nodes and each order costs the primary database. On one machine
the two nodes share its cores, so the useful figures are the CPU costs: they give the
arithmetic for N machines (README: "Capacity")."""

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import requests

SECONDS = float(os.environ.get("CAPACITY_SECONDS", "10"))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICKS


def group(pgid: int) -> list[int]:
    """Every process of a process group (gunicorn's master and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.append(int(entry.name))
            except ProcessLookupError:
                pass
    return found


def postgres_pids(data: Path) -> list[int]:
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return [postmaster, *map(int, children)]


def wrk(url: str) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{SECONDS:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rate,
        "requests": requests_done,
        "p99_ms": float(p99.group(1)) * scale,
        "errors": int(errors.group(1)) if errors else 0,
    }


def orders(base: str, auths: list[dict], variants: list[int]) -> int:
    from cluster import api_add, api_checkout

    placed = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def shopper(i: int):
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            key = f"capacity-{base[-5:]}-{i}-{n}"
            if api_add(base, auths[i], variants[(i + n) % len(variants)]).status_code != 200:
                continue
            if api_checkout(base, auths[i], key).status_code == 201:
                with lock:
                    placed[0] += 1

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(len(auths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return placed[0]


def measure(cluster) -> None:
    from cluster import SETUP, api_token, customer

    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")
    data = cluster.shell(SETUP)
    slug = data["variants"][0]["slug"]
    variants = [v["id"] for v in data["variants"][1:]]
    auths = [api_token(cluster.base, customer(n)) for n in range(1, 17)]
    nodes = {n: group(cluster.processes[f"{n}-web"].pid) for n in ("node-a", "node-b")}
    primary = postgres_pids(cluster.pg_data["primary"])
    targets = [("one node", cluster.node_urls["node-a"], nodes["node-a"])]
    targets.append(("two nodes (balancer)", cluster.base, nodes["node-a"] + nodes["node-b"]))
    pages = [("product page", f"/item/{slug}/"), ("API product list", "/api/v1/products?page_size=20")]
    rows = []
    for label, base, pids in targets:
        for page, path in pages:
            requests.get(base + path, timeout=30)
            before = cpu_seconds(pids)
            result = wrk(base + path)
            cpu_ms = (cpu_seconds(pids) - before) * 1000 / max(result["requests"], 1)
            rows.append(
                (
                    label,
                    page,
                    f"{result['rps']:.0f} req/s",
                    f"p99 {result['p99_ms']:.0f} ms",
                    f"{cpu_ms:.2f} ms app CPU/request",
                    f"{result['errors']} errors",
                )
            )
        app_before, db_before = cpu_seconds(pids), cpu_seconds(primary)
        placed = orders(base, auths, variants)
        app_ms = (cpu_seconds(pids) - app_before) * 1000 / max(placed, 1)
        db_ms = (cpu_seconds(primary) - db_before) * 1000 / max(placed, 1)
        rows.append(
            (
                label,
                "place order (16 shoppers, API)",
                f"{placed / SECONDS:.1f} orders/s",
                "",
                f"{app_ms:.1f} ms app CPU/order",
                f"{db_ms:.1f} ms primary CPU/order",
            )
        )
    print(f"\ncapacity on {os.cpu_count()} cores, {SECONDS:g} s per figure (wrk -t2 -c16):")
    for row in rows:
        print("  " + " | ".join(cell for cell in row if cell))
