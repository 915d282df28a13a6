import os
from pathlib import Path

import pytest
from django.core.cache import cache

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "auroramart"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Passwords are hashed with MD5 in tests, as Django's guide to fast tests advises: the
    shop's Argon2 costs about a quarter of a second of CPU per hash on purpose, and the suite
    hashes one for every customer a factory makes and every sign-in. A test that is about the
    hash itself asks for `production_hashers`."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _jinja2_templates_report_their_context():
    """The test client reads a response's templates and context from the template_rendered
    signal, which Django sends under test for its own templates only (setup_test_environment
    instruments them). The Jinja2 templates (core/jinja.py: the cart's and the checkout's
    bodies) send it the same way, so a test reads `response.context["summary"]` whichever
    language its page is in."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    original = Template.render

    def render(self, context=None, request=None):
        html = original(self, context, request)
        template_rendered.send(sender=self, template=self.template, context=dict(context or {}))
        return html

    Template.render = render
    yield
    Template.render = original


@pytest.fixture
def production_hashers(settings):
    """The hashers the shop runs with (Argon2 first), for a test about how passwords are stored."""
    from auroramart import settings as shop_settings

    settings.PASSWORD_HASHERS = shop_settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _isolated_media_and_static(settings, tmp_path):
    """Uploaded and generated files go to a temporary folder; static files need no manifest."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _isolated_models(settings, tmp_path):
    """Trained recommendation models go to a temporary folder and are not shared between tests."""
    from auroramart.recommendations import registry

    settings.STORAGES = {
        **settings.STORAGES,
        "models": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "models"},
        },
    }
    registry.forget()
    yield
    registry.forget()


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Tasks run in-process during tests, whatever broker the environment names."""
    from auroramart.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Pages a process holds in memory are keyed by the catalog version, which a flush restarts
    # from the clock: a test could meet an earlier test's number, so they go with the cache.
    from auroramart.core.held import forget_held

    cache.clear()
    forget_held()
    yield
    cache.clear()
    forget_held()


@pytest.fixture(autouse=True)
def _shop_configuration(request):
    """The delivery and tax a shop starts with (written by migrations), back after a
    transactional test emptied every table."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from auroramart.shipping.defaults import ensure_home_zone
    from auroramart.shipping.models import ShippingMethod, ShippingRate, ShippingZone
    from auroramart.tax.defaults import ensure_classes_and_home_rates
    from auroramart.tax.models import TaxClass, TaxRate

    if not TaxClass.objects.exists():
        ensure_home_zone(ShippingZone, ShippingMethod, ShippingRate)
        ensure_classes_and_home_rates(TaxClass, TaxRate, ShippingZone)


@pytest.fixture
def shared_data():
    """The public AuroraMart data files, when ../shared is present (CI has it)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data/auroramart is not available")
    return SHARED_DATA


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"auroramart: database={engine} cache={cache_backend} redis={'yes' if os.environ.get('REDIS_URL') else 'no'}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Variant ids start far from product ids, so code that takes one for the other (a cart's
    variant ids read as product ids) fails here instead of passing by coincidence."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('catalog_productvariant', 'id'), 500000)")
        elif connection.vendor == "sqlite":
            cursor.execute("UPDATE sqlite_sequence SET seq = 500000 WHERE name = 'catalog_productvariant'")
            if cursor.rowcount == 0:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES ('catalog_productvariant', 500000)"
                )


@pytest.fixture
def djangos_own_redis(settings):
    """Django's own Redis cache on a connection of its own, as another node's would be: none of
    this shop's reads, and no mirror of keys (core/key_mirror.py)."""
    from django.core.cache.backends.redis import RedisCache

    own = RedisCache(
        settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]}
    )
    yield own
    own.close()
