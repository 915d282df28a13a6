"""Deployment checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings(app_configs, **kwargs):
    from auroramart.settings import _DEV_SECRET

    problems = []
    if settings.SECRET_KEY == _DEV_SECRET:
        problems.append(
            Error(
                "SECRET_KEY is the development key.",
                hint="Set SECRET_KEY to a long random value.",
                id="auroramart.E001",
            )
        )
    if settings.DEMO_MODE:
        problems.append(
            Warning(
                "Demo mode is on: the well-known demo accounts exist.",
                hint="Set AURORAMART_DEMO=false.",
                id="auroramart.W001",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning("The database is SQLite.", hint="Set DATABASE_URL to PostgreSQL.", id="auroramart.W002")
        )
    return problems
