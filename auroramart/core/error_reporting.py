"""Unhandled errors go to a Sentry-protocol service when SENTRY_DSN is set;
without it nothing is sent anywhere. The SDK's defaults send no personal data
(no cookies, emails or IP addresses); cache breadcrumbs are dropped as well,
because cache keys can hold session ids (the tests check both)."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from .release import current_release


def _drop_cache_breadcrumbs(crumb, hint):
    return None if crumb.get("category") in {"redis", "cache"} else crumb


def init_error_reporting(dsn: str, *, environment: str = "production", transport=None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=current_release(),
        integrations=[DjangoIntegration(cache_spans=False), CeleryIntegration()],
        before_breadcrumb=_drop_cache_breadcrumbs,
        traces_sample_rate=0.0,
        transport=transport,
    )
