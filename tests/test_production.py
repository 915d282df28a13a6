"""The production stack's settings and failure modes: deployment checks,
security headers, request ids in JSON logs, error reporting, the broker down,
the database lost mid-request, periodic jobs, and backups that restore."""

import io
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from auroramart.cart.models import Cart
from auroramart.cart.storage import DbCart
from auroramart.core.models import OutboxEmail
from auroramart.orders.models import Order
from auroramart.orders.services import ShippingAddress, place_order

from .factories import AddressFactory, CustomerFactory, ProductFactory, variant
from .test_checkout import checkout_page

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = connection.vendor == "postgresql"
ADDRESS = ShippingAddress("Mei Tan", "+65 9123 4567", "1 Orchard Road", "", "238801")


def production_env(**overrides):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "AURORAMART_DEMO": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "shop.example.com",
        "HTTPS": "true",
        # Not connected to by `check --deploy`; only its engine matters.
        "DATABASE_URL": "postgres://shop@db.internal:5432/auroramart",
        "REDIS_URL": "redis://cache.internal:6379/0",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def deploy_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings_from_the_environment():
    result = deploy_check(production_env())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("entry", ["auroramart.wsgi", "auroramart.asgi"])
def test_a_web_worker_leaves_what_it_loaded_at_start_out_of_garbage_collection(entry):
    """#23: a full collection scanned the ~250,000 objects every worker loads at start, about
    140 ms with the worker stopped, once every few thousand requests. Both server entry points
    freeze them, the URLconf and views included, once they have loaded the app."""
    probe = (
        f"import gc, sys, {entry}\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()), 'auroramart.urls' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked, urls_loaded = result.stdout.split()
    assert int(frozen) > 100_000 and urls_loaded == "True"
    assert int(tracked) < int(frozen) // 20  # left for a collection: what came after the freeze


@pytest.mark.parametrize(
    "override, message",
    [
        ({"SECRET_KEY": None}, "auroramart.E001"),
        ({"HTTPS": "false"}, "security.W008"),  # no SSL redirect
        ({"AURORAMART_DEMO": "true"}, "auroramart.W001"),
        ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "auroramart.W002"),
    ],
)
def test_check_deploy_refuses_unsafe_settings(override, message):
    result = deploy_check(production_env(**override))
    assert result.returncode != 0 and message in result.stdout + result.stderr


@pytest.mark.django_db
def test_security_headers_and_a_csp_without_inline_script(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()  # every script has a src


@pytest.mark.django_db
def test_request_id_is_echoed_and_in_json_log_lines(client):
    from auroramart.core.logging import RequestIdFilter, ShopJsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(ShopJsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-test-123456")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404 and response["X-Request-ID"] == "req-test-123456"
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "req-test-123456" and line["level"] == "WARNING"
    assert line["logger"] == "django.request" and "/no-such-page/" in line["message"] and line["time"]
    generated = client.get("/", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert len(generated) == 32 and generated != client.get("/")["X-Request-ID"]


@pytest.mark.django_db
def test_errors_are_reported_through_the_dsn_without_personal_data(settings):
    import sentry_sdk
    from sentry_sdk.transport import Transport

    from auroramart.core.error_reporting import init_error_reporting

    sent = []

    class Capture(Transport):
        def capture_envelope(self, envelope):
            sent.append(envelope)

    init_error_reporting("https://public@errors.example.test/1", environment="test", transport=Capture)
    try:
        client = Client(raise_request_exception=False)
        with mock.patch("auroramart.pages.views.home_sections", side_effect=RuntimeError("boom")):
            settings.ROOT_URLCONF = "auroramart.urls"
            client.get("/", HTTP_COOKIE="sessionid=secret-session")
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: nothing is sent
    events = [item.payload.json for env in sent for item in env.items if item.type == "event"]
    assert events and events[0]["exception"]["values"][-1]["value"] == "boom"
    text = json.dumps(events)
    assert "secret-session" not in text, text[
        max(0, text.find("secret-session") - 300) : text.find("secret-session") + 100
    ]


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_order_is_placed_and_its_email_sent_once_later(settings, mailoutbox):
    from auroramart.celery import app
    from auroramart.core.tasks import retry_unsent_emails
    from auroramart.loyalty.services import open_account

    user = CustomerFactory()
    open_account(user)
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=3)
    previous = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = "redis://127.0.0.1:1/0", False  # nothing listens
    try:
        DbCart(user).set_item(variant(product).pk, 1, product.price)
        order = place_order(
            user=user,
            cart=DbCart(user),
            idempotency_key="broker-down",
            address=ADDRESS,
            shipping_method="standard",
            payment_method="pm_card_visa",
        ).order
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
    assert Order.objects.get(pk=order.pk).status == "paid"
    waiting = OutboxEmail.objects.filter(sent_at__isnull=True, to=user.email)
    assert waiting.exists() and len(mailoutbox) == 0
    # The broker is back: the periodic sweep sends it, and only once.
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert retry_unsent_emails() >= 1
    assert retry_unsent_emails() == 0
    assert [m.to for m in mailoutbox].count([user.email]) == waiting.model.objects.filter(
        to=user.email
    ).count()
    assert not OutboxEmail.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_lost_database_connection_gives_a_clean_503_page():
    client = Client(raise_request_exception=False)
    with mock.patch(
        "auroramart.pages.views.home_sections", side_effect=OperationalError("server closed the connection")
    ):
        response = client.get("/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    html = response.content.decode()
    assert "back in a moment" in html and "Nothing was saved halfway" in html
    assert response["X-Request-ID"] in html  # the reference the customer can quote


def _kill_own_connection():
    """Terminate this thread's database session from another connection, as a
    failover or a network cut would."""
    pid = connection.connection.info.backend_pid
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")},
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.skipif(not POSTGRES, reason="terminating a database session needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_database_lost_mid_checkout_gives_503_and_no_half_written_order():
    from auroramart.loyalty.services import open_account
    from auroramart.orders.services import resolve_pending_orders
    from auroramart.payments.builtin import TestGateway

    user = CustomerFactory(email="cut@example.test")
    open_account(user)
    AddressFactory(user=user, is_default_shipping=True, is_default_billing=True)
    product = ProductFactory(price=Decimal("30.00"), stock_quantity=5)
    DbCart(user).set_item(variant(product).pk, 1, product.price)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    real_charge = TestGateway.charge

    def charge_then_lose_the_database(self, *args, **kwargs):
        result = real_charge(self, *args, **kwargs)
        _kill_own_connection()  # the card is charged; the database goes away before we record it
        return result

    form, summary = checkout_page(client)
    data = {
        "address": form.address,
        "shipping_method": "standard",
        "card": "new",
        "payment_method": "pm_card_visa",
        "idempotency_key": form.idempotency_key,
        "expected_total": str(summary.total),
    }
    with mock.patch.object(TestGateway, "charge", charge_then_lose_the_database):
        response = client.post("/checkout/checkout/", data)
    assert response.status_code == 503
    connection.close()
    # What the first transaction committed is a consistent pending order, not a half-written one:
    order = Order.objects.get(user=user)
    assert order.status == "pending_payment" and order.items.count() == 1
    # The settlement job finds the charge at the gateway and completes the order, once.
    order.placed_at = timezone.now() - timedelta(hours=1)
    order.save(update_fields=["placed_at"])
    resolve_pending_orders()
    order.refresh_from_db()
    assert order.status == "paid"
    from auroramart.inventory.selectors import ledger_mismatches

    assert ledger_mismatches() == []


@pytest.mark.skipif(not POSTGRES, reason="terminating a database session needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_database_lost_while_adding_to_cart_gives_503_and_writes_nothing():
    from auroramart.cart import services

    user = CustomerFactory()
    product = ProductFactory(stock_quantity=5)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    real_add = services.add_item

    def add_after_the_database_went_away(*args, **kwargs):
        _kill_own_connection()
        return real_add(*args, **kwargs)

    with mock.patch("auroramart.cart.views.services.add_item", add_after_the_database_went_away):
        response = client.post("/checkout/cart/add/", {"product_id": product.pk, "quantity": 1})
    assert response.status_code == 503
    connection.close()
    assert not Cart.objects.filter(user=user, items__isnull=False).exists()
    assert Client().get("/").status_code == 200  # the next request reconnects


@pytest.mark.django_db
def test_periodic_jobs_run_as_commands(settings, mailoutbox):
    from auroramart.inventory.models import LowStockAlert

    stale, fresh = CustomerFactory(), CustomerFactory()
    product = ProductFactory(stock_quantity=2, reorder_level=5)
    for user in (stale, fresh):
        DbCart(user).set_item(variant(product).pk, 1, product.price)
    Cart.objects.filter(user=stale).update(updated_at=timezone.now() - timedelta(days=100))
    out = io.StringIO()
    call_command("run_job", "clear-stale-carts", stdout=out)
    assert not Cart.objects.filter(user=stale).exists() and Cart.objects.filter(user=fresh).exists()
    LowStockAlert.objects.create(product=product, variant=variant(product), stock_at_alert=2)
    call_command("run_job", "low-stock-digest", stdout=out)
    digest = OutboxEmail.objects.get(subject__startswith="[AuroraMart] Low-stock digest")
    assert product.sku in digest.body and digest.to in settings.STAFF_EMAILS
    listing = io.StringIO()
    call_command("run_job", "--list", stdout=listing)
    for name in settings.CELERY_BEAT_SCHEDULE:
        assert name in listing.getvalue()
    for required in (
        "expire-loyalty-points",
        "rollup-analytics",
        "train-recommendation-models",
        "low-stock-digest",
        "clear-stale-carts",
    ):
        assert required in settings.CELERY_BEAT_SCHEDULE


@pytest.mark.skipif(
    not (POSTGRES and shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="needs PostgreSQL and its client tools",
)
@pytest.mark.django_db(transaction=True)
def test_a_dumped_and_restored_demo_database_passes_check_stock(tmp_path):
    call_command(
        "create_sample_data",
        "--products",
        "60",
        "--customers",
        "10",
        "--orders",
        "200",
        "--images",
        "0",
        "--no-progress",
        "--analytics-days",
        "0",
    )
    db = django_settings.DATABASES["default"]
    base = [
        "-h",
        db.get("HOST") or "127.0.0.1",
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        db.get("USER") or "postgres",
    ]
    dump = tmp_path / "shop.dump"
    subprocess.run(["pg_dump", *base, "-Fc", "-f", str(dump), db["NAME"]], check=True, timeout=300)
    restored = f"{db['NAME']}_restore_{os.getpid()}"
    subprocess.run(["dropdb", *base, "--if-exists", restored], check=True)
    subprocess.run(["createdb", *base, restored], check=True)
    try:
        subprocess.run(
            ["pg_restore", *base, "--no-owner", "-d", restored, str(dump)], check=True, timeout=300
        )
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db.get('USER') or 'postgres'}@{base[1]}:{base[3]}/{restored}",
            "DEBUG": "true",
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "check_stock"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert "equals its ledger" in result.stdout
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", restored], check=False)


POOL_PROBE = """
import json, threading
import django
django.setup()
from django.db import connection
pids, lock = set(), threading.Lock()
def work():
    for _ in range(5):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with lock:
            pids.add(pid)
        connection.close()  # as at the end of a request: back to the pool, or closed
threads = [threading.Thread(target=work) for _ in range(12)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps({"pooled": getattr(connection, "pool", None) is not None, "server_sessions": len(pids)}))
"""


@pytest.mark.skipif(not POSTGRES, reason="the connection pool is PostgreSQL's (psycopg)")
@pytest.mark.django_db
@pytest.mark.parametrize("pool", ["true", "false"])
def test_db_pool_reuses_a_few_server_connections_across_threads(pool):
    import json

    db = django_settings.DATABASES["default"]
    url = f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auroramart.settings",
        "DATABASE_URL": url,
        "DB_POOL": pool,
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "3",
    }
    result = subprocess.run(
        [sys.executable, "-c", POOL_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if pool == "true":
        # 12 threads × 5 requests share at most DB_POOL_MAX server sessions.
        assert figures["pooled"] is True and 1 <= figures["server_sessions"] <= 3
    else:  # without the pool every request opens a session of its own
        assert figures["pooled"] is False and figures["server_sessions"] > 3


PREPARED_PROBE = """
import json
import django
django.setup()
from django.db import connection
from auroramart.accounts.models import User
for _ in range(6):  # a statement is prepared on its fifth run on a connection
    list(User.objects.filter(pk=1).values_list("email", flat=True))
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM pg_prepared_statements")
    prepared = cursor.fetchone()[0]
print(json.dumps({"prepared": prepared}))
"""


@pytest.mark.skipif(not POSTGRES, reason="prepared statements are PostgreSQL's")
@pytest.mark.django_db
@pytest.mark.parametrize(
    "env,prepares",
    [({}, True), ({"DB_PREPARED_STATEMENTS": "false"}, False), ({"PGBOUNCER": "true"}, False)],
    ids=["default", "turned-off", "through-pgbouncer"],
)
def test_statements_run_again_and_again_are_prepared_except_through_pgbouncer(env, prepares):
    """#23, fifteenth round: PostgreSQL plans a constant statement once per connection, not on
    every run; through PgBouncer in transaction mode (1.18 cannot keep them) nothing is prepared."""
    import json

    db = django_settings.DATABASES["default"]
    url = f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    clean = {k: v for k, v in os.environ.items() if k not in ("DB_PREPARED_STATEMENTS", "PGBOUNCER")}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "auroramart.settings", "DATABASE_URL": url, **env}
    result = subprocess.run(
        [sys.executable, "-c", PREPARED_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    prepared = json.loads(result.stdout.strip().splitlines()[-1])["prepared"]
    assert (prepared > 0) is prepares, prepared


def test_gunicorn_started_at_the_root_gives_each_worker_its_own_socket(monkeypatch):
    """#23: gunicorn.conf.py sets reuse_port, so each worker listens on its own socket and the
    kernel spreads connections over the workers. gunicorn reads it from the directory it starts
    in: the Procfile, the container (WORKDIR /app, the repository) and the local cluster start
    it at the root, as here, with gunicorn's own loader (.ci/prod-smoke checks the sockets of
    the running stack)."""
    from gunicorn.app.wsgiapp import WSGIApplication

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "auroramart.wsgi", "--workers", "2", "--threads", "4"])
    app = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")
    assert app.cfg.reuse_port is True and app.cfg.workers == 2
