"""Sign-in throttling for every way in: the shop's sign-in page, the admin panel's, and the
API's token endpoint. Computed from the LoginAttempt rows every sign-in writes, so it holds
across app nodes and survives a Redis outage.

Three scopes, each with a number of free failures and then a delay that doubles with
every further failure, up to a cap (settings.SIGNIN_THROTTLE):

- one account from one client address: the guesser slows down fast (up to 15 minutes);
- one client address, whatever the accounts: one machine spraying many accounts;
- one account, from any address: a slow, distributed guess. Capped low (a minute), so a
  stranger with a list of wrong passwords can never lock the owner out: this is what made
  the old per-account lockout a denial-of-service lever. Staff accounts whose role needs
  it have a second factor (two_factor.py), so a password alone is not enough anyway.

Only failures since the last success in the same scope count, within a day. An attempt made
while throttled is recorded (`throttled`) but does not count: no password was checked.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from auroramart.core.client import client_ip

from .models import LoginAttempt

MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    name: str
    free: int  # failures allowed before any delay
    first_delay: int  # seconds, after the first failure beyond the free ones; doubles after
    max_delay: int  # seconds


def scopes() -> list[Scope]:
    return [Scope(name, *values) for name, values in settings.SIGNIN_THROTTLE.items()]


def _filter(scope: Scope, email: str, ip: str) -> Q:
    return {
        "account_address": Q(email=email, ip=ip or None),
        "address": Q(ip=ip or None),
        "account": Q(email=email),
    }[scope.name]


def delay_after(scope: Scope, failures: int) -> int:
    if failures < scope.free:
        return 0
    return min(scope.max_delay, scope.first_delay * 2 ** (failures - scope.free))


def normalise(email: str) -> str:
    return (email or "").strip().lower()[:254]


def wait_seconds(request, email: str) -> int:
    """How long this client must wait before trying to sign in to this account; 0: go ahead."""
    email, ip = normalise(email), client_ip(request)
    now = timezone.now()
    longest = 0
    for scope in scopes():
        if scope.name != "account" and not ip:
            continue
        attempts = LoginAttempt.objects.filter(_filter(scope, email, ip), created_at__gte=now - MEMORY)
        since = attempts.filter(success=True).aggregate(at=Max("created_at"))["at"] or now - MEMORY
        failed = attempts.filter(success=False, throttled=False, created_at__gt=since).aggregate(
            n=Count("id"), last=Max("created_at")
        )
        delay = delay_after(scope, failed["n"])
        if delay:
            longest = max(longest, int((failed["last"] + timedelta(seconds=delay) - now).total_seconds()) + 1)
    return max(0, longest)


def record(request, email: str, user=None, *, success: bool, area: str, throttled: bool = False) -> None:
    LoginAttempt.objects.create(
        email=normalise(email),
        user=user,
        ip=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        success=success,
        throttled=throttled,
        area=area,
    )


def describe_wait(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def purge_old_attempts() -> int:
    """Sign-in attempts older than LOGIN_ATTEMPT_RETENTION_DAYS go (the throttle reads only the
    last day; the panel's list, the last weeks)."""
    cutoff = timezone.now() - timedelta(days=settings.LOGIN_ATTEMPT_RETENTION_DAYS)
    return LoginAttempt.objects.filter(created_at__lt=cutoff).delete()[0]
