"""What lets several nodes serve one shop: files in object storage, the read-replica router's
rules, and periodic jobs that change nothing when they run twice. The whole topology (two
nodes, a balancer, a streaming replica, an S3 server) is exercised by deploy/cluster.py
(`make cluster-smoke`, in CI)."""

import io

import boto3
import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from moto import mock_aws
from PIL import Image

from auroramart.catalog.models import Product
from auroramart.catalog.services import add_product_image
from auroramart.core import db_routing
from auroramart.core.db_routing import ReplicaRouter, ReplicaRoutingMiddleware, reads_from_replica
from auroramart.orders.models import Order
from auroramart.recommendations import registry, services
from auroramart.recommendations.datasets import read_customers_csv

from .factories import CategoryFactory, ProductFactory
from .test_recommendations import customers_csv

BUCKET = "auroramart-test"


@pytest.fixture
def object_storage(settings, tmp_path):
    """Media and model files in an S3 bucket (moto's in-process S3), as S3_BUCKET configures them."""
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        s3 = {
            "bucket_name": BUCKET,
            "region_name": "us-east-1",
            "access_key": "testing",
            "secret_key": "testing",
            "file_overwrite": False,
        }
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    **s3,
                    "location": "media",
                    "querystring_auth": False,
                    "custom_domain": "shop.example",
                },
            },
            "models": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**s3, "location": "models"}},
        }
        yield boto3.client("s3", region_name="us-east-1")


def keys(s3, prefix):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def jpeg(colour="navy"):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_product_pictures_and_thumbnails_go_to_the_bucket_and_nothing_to_the_disk(
    object_storage, settings, client
):
    product = ProductFactory()
    image = add_product_image(product=product, data=jpeg(), filename="Lamp.jpg", actor=None)
    stored = keys(object_storage, "media/")
    assert stored == sorted([f"media/{image.image.name}", f"media/{image.thumbnail.name}"])
    assert image.image.url == f"https://shop.example/media/{image.image.name}"
    body = object_storage.get_object(Bucket=BUCKET, Key=f"media/{image.image.name}")["Body"].read()
    assert Image.open(io.BytesIO(body)).size == (640, 480)
    assert not (settings.MEDIA_ROOT).exists() or not any(settings.MEDIA_ROOT.rglob("*.jpg"))
    page = client.get(product.get_absolute_url()).content.decode()
    assert f"https://shop.example/media/{image.thumbnail.name}" in page or image.image.url in page


@pytest.mark.django_db
def test_readiness_reports_the_object_store(object_storage, client):
    state = client.get("/readyz").json()
    assert state["storage"] == {"ok": True, "backend": "S3Storage"}


@pytest.mark.django_db
def test_trained_models_live_in_the_bucket_and_a_tampered_object_falls_back(object_storage, tmp_path):
    CategoryFactory(name="Electronics")
    record = services.train_category_model(read_customers_csv(customers_csv(tmp_path)))
    assert keys(object_storage, "models/") == [f"models/{record.file_name}"]
    assert keys(object_storage, "media/") == []  # never under the public prefix
    registry.forget()
    assert registry.current("category")[1] is not None  # loaded back from the bucket

    object_storage.put_object(Bucket=BUCKET, Key=f"models/{record.file_name}", Body=b"tampered")
    registry.forget()
    assert registry.current("category") == (None, None)  # checksum refused: popularity serves


# --- the read-replica router's rules (deny by default) ------------------------------------


@pytest.fixture
def replicas(settings, monkeypatch):
    """One configured replica that answers and has replayed whatever it is asked about,
    unless a test says otherwise (the real replay position is exercised by the cluster smoke)."""
    settings.READ_REPLICAS = ["replica1"]
    state = {"replayed": True, "answers": True, "asked": []}

    def ready(alias, required):
        state["asked"].append(required)
        if not state["answers"]:
            raise ConnectionError("replica down")
        return state["replayed"] or not required

    monkeypatch.setattr(db_routing, "_replica_ready", ready)
    db_routing._down_until.clear()
    return state


def route(request, view, model=Product, **hints):
    """Serve `request` through the routing middleware; what the router chose for `model`."""
    chosen = {}

    def get_response(request):
        chosen["alias"] = view(request)
        return HttpResponse("ok")

    response = ReplicaRoutingMiddleware(get_response)(request)
    return chosen["alias"], response


def choose(model=Product):
    def view(request):
        return ReplicaRouter().db_for_read(model)

    return view


# transaction=True: a test wrapped in a transaction would (rightly) read from the primary.
@pytest.mark.django_db(transaction=True)
def test_catalogue_reads_of_a_marked_view_go_to_the_replica(replicas):
    alias, response = route(RequestFactory().get("/item/"), reads_from_replica(choose()))
    assert alias == "replica1" and response["X-Read-From"] == "replica1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "why, request_factory, view, model",
    [
        (
            "an unmarked view (cart, checkout, staff)",
            lambda: RequestFactory().get("/cart/"),
            choose(),
            Product,
        ),
        ("a write", lambda: RequestFactory().post("/item/x/review/"), reads_from_replica(choose()), Product),
        ("an order", lambda: RequestFactory().get("/item/"), reads_from_replica(choose(Order)), Order),
        ("a session", lambda: RequestFactory().get("/item/"), reads_from_replica(choose(Session)), Session),
    ],
)
def test_everything_else_reads_the_primary(replicas, why, request_factory, view, model):
    alias, response = route(request_factory(), view)
    assert alias == "default", why
    assert "X-Read-From" not in response


@pytest.mark.django_db
def test_outside_a_request_and_inside_a_transaction_reads_the_primary(replicas):
    assert ReplicaRouter().db_for_read(Product) == "default"  # a job, a command

    @reads_from_replica
    def view(request):
        with transaction.atomic():
            return ReplicaRouter().db_for_read(Product)

    assert route(RequestFactory().get("/item/"), view)[0] == "default"


@pytest.mark.django_db(transaction=True)
def test_a_client_that_wrote_reads_the_primary_until_the_replica_has_replayed_it(replicas, monkeypatch):
    monkeypatch.setattr(db_routing, "_current_position", lambda: "0/3000060")
    factory = RequestFactory()
    factory.cookies["sessionid"] = "shopper-session"
    route(factory.post("/item/lamp/review/"), lambda request: "written")

    replicas["replayed"] = False
    assert route(factory.get("/item/lamp/"), reads_from_replica(choose()))[0] == "default"
    assert replicas["asked"][-1] == "0/3000060"  # the position the write ended at, from the shared cache
    stranger = RequestFactory()
    assert route(stranger.get("/item/lamp/"), reads_from_replica(choose()))[0] == "replica1"

    replicas["replayed"] = True
    assert route(factory.get("/item/lamp/"), reads_from_replica(choose()))[0] == "replica1"


@pytest.mark.django_db(transaction=True)
def test_signing_in_remembers_the_write_under_the_new_session_and_the_api_token(replicas, monkeypatch):
    monkeypatch.setattr(db_routing, "_current_position", lambda: "0/5000000")
    request = RequestFactory().post("/login/", HTTP_AUTHORIZATION="Bearer abc")
    request.COOKIES["sessionid"] = "before"

    def sign_in(request):
        response = HttpResponse("ok")
        response.set_cookie("sessionid", "after")
        return response

    ReplicaRoutingMiddleware(sign_in)(request)
    for cookie, token in (("after", ""), ("", "Bearer abc")):
        later = (
            RequestFactory().get("/item/", HTTP_AUTHORIZATION=token) if token else RequestFactory().get("/")
        )
        if cookie:
            later.COOKIES["sessionid"] = cookie
        assert db_routing._written_positions(later) == ["0/5000000"]


@pytest.mark.django_db(transaction=True)
def test_a_replica_that_does_not_answer_is_left_alone_and_the_page_still_works(replicas):
    replicas["answers"] = False
    assert route(RequestFactory().get("/item/"), reads_from_replica(choose()))[0] == "default"
    replicas["answers"] = True
    # Not asked again for a while: the next request goes straight to the primary.
    asked = len(replicas["asked"])
    assert route(RequestFactory().get("/item/"), reads_from_replica(choose()))[0] == "default"
    assert len(replicas["asked"]) == asked


def test_migrations_run_on_the_primary_only_and_writes_go_there():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "catalog") and not router.allow_migrate("replica1", "catalog")
    assert router.db_for_write(Product) == "default"


def test_the_marked_views_are_the_catalogue_search_home_api_catalogue_and_analytics():
    """Deny by default: only these read from a replica; a new view must be marked to join."""
    from django.urls import resolve

    from auroramart.api import catalog as api_catalog

    for path in ("/", "/item/", "/item/x/", "/category/a/", "/category/a/b/", "/search/", "/search/suggest/"):
        assert getattr(resolve(path).func, "reads_from_replica", False), path
    assert (reads_from_replica, "operation") in api_catalog.router._decorators
    assert getattr(resolve("/admin-panel/analytics/").func, "reads_from_replica", False)
    for path in ("/checkout/cart/", "/checkout/checkout/", "/orders/", "/admin-panel/", "/login/"):
        assert not getattr(resolve(path).func, "reads_from_replica", False), path


# --- periodic jobs: one beat for the cluster, and each job safe to run twice -------------


def fingerprint() -> dict:
    """Rows per table: a second run that sent an email, wrote a ledger entry or a reminder
    again would add rows. Model versions are excluded: retraining adds one by design."""
    from django.apps import apps

    skip = {"recommendations.modelversion", "recommendations.aiperformancemetrics"}
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in skip and model._meta.managed
    }


@pytest.mark.django_db(transaction=True)
def test_every_periodic_job_changes_nothing_when_it_runs_a_second_time(settings):
    """Two workers can receive the same job (a redelivery after a worker died, or a second
    beat during a failover): the second run must find nothing left to do."""
    from django.core.management import call_command

    call_command(
        "create_sample_data",
        "--products",
        "24",
        "--customers",
        "8",
        "--orders",
        "30",
        "--no-progress",
        stdout=io.StringIO(),
    )
    for name in settings.CELERY_BEAT_SCHEDULE:
        call_command("run_job", name, stdout=io.StringIO())
        once = fingerprint()
        call_command("run_job", name, stdout=io.StringIO())
        assert fingerprint() == once, name


def test_with_redis_one_beat_sends_the_jobs_for_the_whole_cluster(settings):
    """RedBeat's lock in Redis: whichever node's beat holds it sends the jobs (deploy/cluster.py
    runs a beat on both nodes and counts each job once)."""
    import importlib
    import os

    from auroramart import settings as shop_settings

    previous = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/9"
    try:
        fresh = importlib.reload(shop_settings)
        assert fresh.CELERY_BEAT_SCHEDULER == "redbeat.RedBeatScheduler"
        assert fresh.CELERY_REDBEAT_REDIS_URL == "redis://127.0.0.1:6379/9"
        assert fresh.CELERY_REDBEAT_LOCK_TIMEOUT >= 4 * fresh.CELERY_BEAT_MAX_LOOP_INTERVAL
    finally:
        if previous is None:
            os.environ.pop("REDIS_URL")
        else:
            os.environ["REDIS_URL"] = previous
        importlib.reload(shop_settings)


# --- a node that dies in the middle of a checkout --------------------------------------------


class NodeDies(BaseException):
    """The process ends here: no except clause of the shop's runs (as under SIGKILL)."""


@pytest.fixture
def dying_gateway(monkeypatch):
    """The first charge dies with its node, after the provider charged (`after=True`) or before."""
    from auroramart.orders import placement

    real = placement.get_gateway
    state = {"after": True, "died": False}

    class Gateway:
        def __init__(self):
            self.inner = real()

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def charge(self, **kwargs):
            if state["died"]:
                return self.inner.charge(**kwargs)
            state["died"] = True
            if state["after"]:
                self.inner.charge(**kwargs)
            raise NodeDies

    monkeypatch.setattr(placement, "get_gateway", Gateway)
    return state


def place(user, key):
    from .test_orders import place_cart

    return place_cart(user, key)


def crash_then_retry(settings, dying_gateway, *, after: bool):
    from datetime import timedelta

    from django.utils import timezone

    from auroramart.cart.storage import DbCart
    from auroramart.orders.errors import PlacementInProgress

    from .factories import CustomerFactory, variant

    dying_gateway["after"] = after
    user = CustomerFactory()
    lamp = ProductFactory(stock_quantity=5)
    DbCart(user).set_item(variant(lamp).pk, 2, lamp.price)
    with pytest.raises(NodeDies):
        place(user, "crash-key")
    order = Order.objects.get(user=user)
    assert order.status == "pending_payment"
    with pytest.raises(PlacementInProgress):  # too soon: the first request may still be charging
        place(user, "crash-key")
    Order.objects.filter(pk=order.pk).update(
        placed_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_SECONDS + 1)
    )
    return user, lamp, order


@pytest.mark.django_db
def test_a_retry_after_the_node_died_once_charged_confirms_the_order_at_once(settings, dying_gateway):
    from auroramart.cart.storage import DbCart
    from auroramart.payments.models import TestGatewayCharge

    user, lamp, order = crash_then_retry(settings, dying_gateway, after=True)
    placement = place(user, "crash-key")
    assert placement.replayed and placement.order.number == order.number
    assert placement.order.status == "paid"
    assert TestGatewayCharge.objects.filter(idempotency_key=order.number).count() == 1
    assert not DbCart(user).items()  # the cart it was placed from is empty
    assert place(user, "crash-key").order.status == "paid"  # and again: the same order, no charge


@pytest.mark.django_db
def test_a_retry_after_the_node_died_before_charging_says_nothing_was_charged(settings, dying_gateway):
    from auroramart.catalog.models import ProductVariant
    from auroramart.orders.errors import PaymentFailed
    from auroramart.payments.models import TestGatewayCharge

    from .factories import variant

    user, lamp, order = crash_then_retry(settings, dying_gateway, after=False)
    with pytest.raises(PaymentFailed):
        place(user, "crash-key")
    assert not Order.objects.filter(pk=order.pk, status="paid").exists()
    assert ProductVariant.objects.get(pk=variant(lamp).pk).stock_quantity == 5  # given back
    assert not TestGatewayCharge.objects.filter(idempotency_key=order.number).exists()


# --- the deployment files ---------------------------------------------------------------------


def test_the_compose_file_runs_the_cluster_topology_with_settings_the_shop_reads():
    """deploy/compose.yaml cannot run here (no container engine): check that it names the
    topology deploy/cluster.py proves, and that every variable it gives the shop is one the
    settings read (a misspelt name would silently fall back to a default)."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parent.parent
    compose = yaml.safe_load((root / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert {
        "db",
        "replica",
        "pgbouncer",
        "redis",
        "minio",
        "setup",
        "app1",
        "app2",
        "worker",
        "beat",
        "balancer",
    } <= set(services)
    settings_source = (root / "auroramart" / "settings.py").read_text()
    for name in ("app1", "app2", "worker", "beat", "setup"):
        for variable in services[name]["environment"]:
            assert f'"{variable}"' in settings_source, f"{name}: {variable} is not a setting"
    assert "gunicorn" in services["app1"]["command"] and "beat" in services["beat"]["command"]
    template = (root / "deploy" / "nginx" / "shop.conf.template").read_text()
    for variable in services["balancer"]["environment"]["NGINX_ENVSUBST_FILTER"].strip("^()$").split("|"):
        assert f"${{{variable}}}" in template
    dockerfile = (root / "deploy" / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "collectstatic" in dockerfile and "USER shop" in dockerfile


# --- `make run`: the periodic jobs in the demo server's process --------------------------------


@pytest.mark.django_db
def test_the_demo_scheduler_runs_each_job_when_its_time_comes_and_once(settings):
    """#24: under `make run` no scheduled job ran, so analytics never moved during a demo."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from celery.schedules import crontab

    from auroramart.demo.scheduler import DemoScheduler

    start = datetime(2026, 12, 4, 0, 0, tzinfo=ZoneInfo(settings.CELERY_TIMEZONE))
    scheduler = DemoScheduler(
        {
            "rollup-analytics": {"task": "auroramart.analytics.tasks.rollup_recent_task", "schedule": 120},
            "clear-stale-carts": {
                "task": "auroramart.cart.tasks.clear_stale_carts_task",
                "schedule": crontab(hour=1, minute=30),
            },
        },
        started=start,
    )
    assert scheduler.tick(start + timedelta(seconds=60)) == []  # nothing at start-up
    assert scheduler.tick(start + timedelta(seconds=121)) == ["rollup-analytics"]
    assert scheduler.tick(start + timedelta(seconds=125)) == []  # once per interval
    assert scheduler.tick(start + timedelta(hours=1, minutes=31)) == ["rollup-analytics", "clear-stale-carts"]
    assert scheduler.tick(start + timedelta(hours=1, minutes=32)) == []


def test_make_run_serves_with_the_shops_error_pages_and_its_jobs():
    """#24: `make run` showed Django's debug page for a bad URL and ran no periodic job."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    demo_env = makefile.split("DEMO_ENV :=", 1)[1].split("\n\n", 1)[0]
    assert "DEBUG=$${DEBUG:-false}" in demo_env and "DEMO_SCHEDULER=$${DEMO_SCHEDULER:-true}" in demo_env
    assert "manage.py serve_demo" in makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
