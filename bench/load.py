"""Load for `make bench`: wrk (a load generator written in C) drives a page, and the server's
own CPU time is read from /proc for the gunicorn processes before and after, so the cost of a
request does not depend on the client. A static response from a minimal server measures the
client's own ceiling: ratios are refused when the bare view comes near it."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "make bench needs wrk, a load generator written in C: apt-get install wrk (Debian, Ubuntu) "
            "or brew install wrk. A Python client on a small machine measures itself, not the shop."
        )
    return found


@dataclass
class Page:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: str = ""
    content_type: str = ""


@dataclass
class Slice:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_seconds: float


def drive(base: str, page: Page, *, connections: int, seconds: float, threads: int = 2) -> dict:
    command = [
        wrk_path(),
        f"-t{min(threads, connections)}",  # wrk refuses more threads than connections
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "report.lua"),
    ]
    for name, value in page.headers.items():
        command += ["-H", f"{name}: {value}"]
    env = {
        **os.environ,
        "WRK_METHOD": page.method,
        "WRK_BODY": page.body,
        "WRK_CONTENT_TYPE": page.content_type,
    }
    out = subprocess.run(
        command + [base + page.path], capture_output=True, text=True, env=env, check=True
    ).stdout
    line = next(row for row in out.splitlines() if row.startswith("WRKJSON "))
    return json.loads(line.removeprefix("WRKJSON "))


def process_tree(root: int) -> list[int]:
    """The pid and every descendant's (gunicorn's master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop()
        tree.append(pid)
        queue.extend(children.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """User + system CPU time of the process tree so far (/proc/<pid>/stat, fields 14 and 15)."""
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def measure_slice(base: str, page: Page, server_pid: int, *, connections: int, seconds: float) -> Slice:
    before = cpu_seconds(server_pid)
    result = drive(base, page, connections=connections, seconds=seconds)
    used = cpu_seconds(server_pid) - before
    errors = result["connect"] + result["read"] + result["write"] + result["status"] + result["timeout"]
    return Slice(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        errors=errors,
        p50_ms=result["p50"] / 1000,
        p95_ms=result["p95"] / 1000,
        p99_ms=result["p99"] / 1000,
        cpu_seconds=used,
    )


def summarise(slices: list[Slice]) -> dict:
    """A page's slices together: req/s and CPU per request over all of them; the median slice's
    p50 and the worst slice's p95 and p99 (slices cannot be merged exactly, so this errs high)."""
    requests = sum(s.requests for s in slices)
    seconds = sum(s.seconds for s in slices) or 1
    cpu = sum(s.cpu_seconds for s in slices)
    p50s = sorted(s.p50_ms for s in slices)
    return {
        "requests": requests,
        "errors": sum(s.errors for s in slices),
        "rps": round(requests / seconds, 1),
        "cpu_ms_per_request": round(cpu * 1000 / requests, 3) if requests else None,
        "p50_ms": round(p50s[len(p50s) // 2], 2),
        "p95_ms": round(max(s.p95_ms for s in slices), 2),
        "p99_ms": round(max(s.p99_ms for s in slices), 2),
    }


STATIC_SERVER = r"""
import asyncio, sys
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=512)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def client_ceiling(port: int, *, connections: int, seconds: float) -> float:
    """req/s wrk gets from a static response (a minimal server, no framework): the most this
    client can measure on this machine."""
    import socket
    import sys
    import time

    server = subprocess.Popen([sys.executable, "-c", STATIC_SERVER, str(port)])
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        result = drive(
            f"http://127.0.0.1:{port}", Page("static", "/"), connections=connections, seconds=seconds
        )
        return result["requests"] / (result["duration_us"] / 1e6)
    finally:
        server.kill()
        server.wait()
