"""Liveness check: is the database reachable, is the cache answering."""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any driver error means "down"; report, don't raise
        logger.warning("healthz: database check failed: %s", exc)
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}


def _check_cache() -> dict:
    backend = cache.__class__.__name__
    try:
        key = f"healthz:{uuid.uuid4().hex}"
        cache.set(key, "1", 5)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return {"ok": ok, "backend": backend}
    except Exception as exc:
        logger.warning("healthz: cache check failed: %s", exc)
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}


@never_cache
@require_GET
def healthz(request):
    database = _check_database()
    cache_state = _check_cache()
    # The shop can sell without its cache; it cannot without its database.
    healthy = database["ok"]
    status = "ok" if healthy and cache_state["ok"] else ("degraded" if healthy else "down")
    return JsonResponse(
        {"status": status, "database": database, "cache": cache_state},
        status=200 if healthy else 503,
    )
