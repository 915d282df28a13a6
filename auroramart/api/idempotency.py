"""Idempotency-Key for unsafe API requests, with Stripe's documented semantics.

- A key (up to IDEMPOTENCY_KEY_MAX_LENGTH characters, kept whole) binds to the first
  request that *started executing* with it, for IDEMPOTENCY_KEY_TTL (24 hours).
- The same key and body again replays the stored answer, with `Idempotent-Replayed: true`;
  the same key with another body is 409 `idempotency_conflict`.
- While the first request is still running, a twin gets 409 `idempotency_in_progress`
  (never a half-finished answer). A request that has had no answer for
  IDEMPOTENCY_IN_FLIGHT_SECONDS is taken as abandoned and may be taken over.
- A request refused before doing anything (bad input, empty cart) does not bind its key:
  `release` forgets it, so a corrected retry with the same key works.

Checkout keeps its own handling (a declined card binds the key, as Stripe's does); every other
operation that creates something (a cart line, an address, a return) goes through `once`.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from ninja import Header, Status

from .errors import ApiError
from .models import IdempotentRequest

REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict


def body_hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def claim(*, user, key: str, request_hash: str) -> IdempotentRequest | Replay:
    """Bind the key to this request, or answer for the request it is already bound to."""
    now = timezone.now()
    IdempotentRequest.objects.filter(
        user=user, key=key, created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL
    ).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(user=user, key=key, request_hash=request_hash)
    except IntegrityError:  # bound already, perhaps by a twin running right now
        record = IdempotentRequest.objects.get(user=user, key=key)
    if record.request_hash != request_hash:
        raise ApiError(409, "idempotency_conflict", "This Idempotency-Key was used with a different request.")
    if record.status is not None:
        return Replay(record.status, record.response)
    abandoned = now - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_SECONDS)
    taken_over = IdempotentRequest.objects.filter(
        pk=record.pk, status__isnull=True, started_at__lt=abandoned
    ).update(started_at=now)
    if not taken_over:
        raise ApiError(
            409,
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still being processed. Retry in a few seconds.",
        )
    return record


def finish(record: IdempotentRequest, status: int, body: dict) -> None:
    IdempotentRequest.objects.filter(pk=record.pk).update(status=status, response=body)


def release(record: IdempotentRequest) -> None:
    IdempotentRequest.objects.filter(pk=record.pk, status__isnull=True).delete()


def purge_expired() -> int:
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    return IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()[0]


def key_header():
    """The optional `Idempotency-Key` header of an operation that creates something."""
    return Header(
        None,
        alias="Idempotency-Key",
        min_length=8,
        max_length=settings.IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Send the same key to retry safely: the first answer is replayed (24 hours).",
    )


def once(request, response, *, user, key: str | None, payload, action):
    """Run `action` (returning a body, or a ninja Status) once per key: the same key and body
    again replays the first answer with `Idempotent-Replayed: true`; another body is 409; an
    action refused with an ApiError (nothing done) does not bind the key. No key: just run it."""
    if not key:
        return action()
    fingerprint = body_hash({"method": request.method, "path": request.path, "body": payload})
    record = claim(user=user, key=key, request_hash=fingerprint)
    if isinstance(record, Replay):
        response[REPLAYED_HEADER] = "true"
        return Status(record.status, record.body)
    try:
        result = action()
    except BaseException:
        release(record)
        raise
    status, body = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
    body = json.loads(json.dumps(body, default=str))
    finish(record, status, body)
    return Status(status, body)
