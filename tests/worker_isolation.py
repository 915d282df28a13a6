"""Loaded with `-p` before Django's settings (pyproject's addopts): when pytest-xdist runs the
suite in several processes, each gets its own Redis database, so one worker's cache flush
between tests cannot empty another's cache mid-test. (Each also gets its own test database
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
