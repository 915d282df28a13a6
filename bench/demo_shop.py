"""A fresh demo shop served on a free port, for tools that look at the shop as a visitor does
(make screenshots, make lighthouse): a temporary SQLite database with sample data, DEBUG off,
Django's server. Use as `with demo_shop() as base: ...`."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def demo_shop(products: int = 160):
    work = Path(tempfile.mkdtemp(prefix="auroramart-demo-"))
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
    env.pop("DATABASE_REPLICA_URLS", None)

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
        str(products),
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
        for _ in range(150):
            try:
                urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 -- our own local server
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        subprocess.run(["rm", "-rf", str(work)], check=False)


def chromium() -> str:
    import shutil

    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise SystemExit("Chromium is needed (Debian: apt-get install chromium)")
    return path
