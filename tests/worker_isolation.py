"""Loaded with `-p` before Django's settings (pyproject's addopts): when pytest-xdist runs the
suite in several processes, each gets its own Redis database and key prefix, so one worker's
cache clear between tests cannot empty another's cache mid-test. (Each also gets its own test database
from pytest-django, and its own media and model directories from conftest's tmp_path.)"""

import os
import re

worker = os.environ.get("PYTEST_XDIST_WORKER", "")
url = os.environ.get("REDIS_URL", "")
if worker.startswith("gw") and url:
    number = int(worker[2:])
    match = re.match(r"^(redis://[^/]+)/(\d+)$", url)
    base, database = (match.group(1), int(match.group(2))) if match else (url.rstrip("/"), 15)
    # Databases counted down from the suite's own (15 by default), one per worker.
    os.environ["REDIS_URL"] = f"{base}/{(database - number) % 16}"
    # And keys named apart: Redis tells the processes that hold keys (core/key_mirror.py) of a
    # change by the key's name alone, whatever its database, so one worker's writes would make
    # another's held keys be read again (never wrong, but a test that counts reads would flake).
    os.environ.setdefault("CACHE_KEY_PREFIX", f"auroramart-{worker}")
