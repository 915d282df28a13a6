"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the
database, its read replicas, the cache, the task broker, the file storage and the
recommendation models)."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache, caches
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .events import ExtensionPoint

logger = logging.getLogger(__name__)


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any driver error means "down"; report, don't raise
        logger.warning("readyz: database check failed: %s", exc)
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}


def _check_cache() -> dict:
    backend = caches["default"].__class__.__name__
    try:
        key = f"readyz:{uuid.uuid4().hex}"
        cache.set(key, "1", 5)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return {"ok": ok, "backend": backend}
    except Exception as exc:
        logger.warning("readyz: cache check failed: %s", exc)
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}


def _check_broker() -> dict:
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "in-process (no broker configured)"}
    from auroramart.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return {"ok": True, "mode": "broker"}
    except Exception as exc:
        logger.warning("readyz: broker check failed: %s", exc)
        return {"ok": False, "mode": "broker", "error": exc.__class__.__name__}


def _check_replicas() -> dict:
    """Each replica answers, and how far its replay is behind (seconds since the last replayed
    transaction; an idle primary makes this grow too, so it is shown, not judged)."""
    state: dict = {"ok": True}
    for alias in settings.READ_REPLICAS:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_in_recovery(), extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
                )
                recovering, lag = cursor.fetchone()
            state[alias] = {"ok": True, "standby": recovering, "lag_seconds": round(float(lag or 0), 1)}
        except Exception as exc:
            logger.warning("readyz: replica %s failed: %s", alias, exc)
            state[alias] = {"ok": False, "error": exc.__class__.__name__}
            state["ok"] = False
    return state


def _check_storage() -> dict:
    """The media storage answers (on object storage: the bucket is reachable with our keys)."""
    backend = default_storage.__class__.__name__
    try:
        default_storage.exists("readyz-probe")
        return {"ok": True, "backend": backend}
    except Exception as exc:
        logger.warning("readyz: storage check failed: %s", exc)
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}


# Checks the domain apps add to readiness, each () -> {"ok": bool, ...}; a failing one makes
# the shop "degraded", never "down" (the recommendation models: wired in auroramart/wiring.py).
readiness_checks = ExtensionPoint("core.readiness", "name -> () -> dict with 'ok'")


def _guarded(check) -> dict:
    try:
        return check()
    except Exception as exc:
        logger.warning("readyz: %s failed: %s", check.__name__, exc)
        return {"ok": False, "error": exc.__class__.__name__}


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process serves requests (what a supervisor restarts on)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Readiness. Only the database is essential: without the cache the shop is
    slower, without the broker emails wait in the outbox, without models the
    slots show popular products. Those report "degraded" with a 200."""
    database = _check_database()
    checks = {"database": database, "cache": _check_cache()}
    if database["ok"]:
        checks["broker"] = _check_broker()
        checks["storage"] = _check_storage()
        if settings.READ_REPLICAS:
            checks["replicas"] = _check_replicas()
        for check in readiness_checks:
            checks[check.__name__.removeprefix("check_")] = _guarded(check)
    healthy = database["ok"]
    degraded = any(not c["ok"] for c in checks.values())
    status = "down" if not healthy else ("degraded" if degraded else "ok")
    return JsonResponse({"status": status, **checks}, status=200 if healthy else 503)
