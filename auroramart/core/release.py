"""Which release of the code is running.

Cached pages are keyed by it, so a deploy never serves HTML rendered by the
previous release's templates (with links to static files that may be gone).
Set RELEASE (a git hash, a tag) in production; without it the release is a
digest of the code, templates and built CSS, so a changed file is a new release.
"""

import hashlib
import os
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
SUFFIXES = {".py", ".html", ".css", ".js"}


@cache
def current_release() -> str:
    explicit = os.environ.get("RELEASE", "").strip()
    if explicit:
        return explicit[:40]
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in SUFFIXES and "migrations" not in path.parts and path.is_file():
            digest.update(str(path.relative_to(PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
