"""`make bench`'s baselines (#23): the bare view and the empty view behind the middleware stack
are the first URLs, as a bare Django project's one URL would be. At the end of the shop's
URLconf, resolving them tried every pattern first (about an eighth of the bare view's CPU),
which flattered every ratio the benchmark reports."""

import importlib

import pytest
from django.test import Client
from django.urls import clear_url_caches, resolve


@pytest.fixture
def bench_urls(settings):
    import auroramart.urls as shop_urls

    shop = [str(p.pattern) for p in shop_urls.urlpatterns]
    settings.BENCH_BASELINE_VIEW = True
    module = importlib.reload(shop_urls)
    clear_url_caches()
    yield module, shop
    settings.BENCH_BASELINE_VIEW = False
    importlib.reload(shop_urls)
    clear_url_caches()


def test_the_baselines_are_the_first_urls_and_the_shop_keeps_all_of_its_own(bench_urls):
    bench_urls, shop = bench_urls
    first, second, *rest = bench_urls.urlpatterns
    assert (str(first.pattern), str(second.pattern)) == ("__bench__/bare", "__bench__/empty")
    for path in ("/__bench__/bare", "/__bench__/empty"):
        match = resolve(path, urlconf=bench_urls)
        assert len(match.tried or []) <= 2  # the baselines only: none of the shop's patterns
    assert resolve("/item/", urlconf=bench_urls).url_name == resolve("/item/").url_name
    assert [str(p.pattern) for p in rest] == shop


@pytest.mark.django_db
def test_the_empty_view_answers_behind_the_middleware(bench_urls, settings):
    settings.ROOT_URLCONF = bench_urls[0].__name__
    response = Client().get("/__bench__/empty")
    assert response.status_code == 200 and response.content == b"ok"
    assert response["X-Frame-Options"] == "DENY"  # the whole stack ran


@pytest.mark.django_db
def test_the_probed_stack_times_every_middleware_and_answers_as_the_stack_does(bench_urls, settings):
    """bench/middleware_costs.py: a probe between every two middlewares gives each its own share
    of the request, and the probes change nothing the stack answers."""
    from auroramart.core.bench import MiddlewareProbe, own_times, probed

    stack = list(settings.MIDDLEWARE)
    settings.ROOT_URLCONF = bench_urls[0].__name__
    plain = Client().get("/__bench__/empty")
    settings.MIDDLEWARE = probed(stack)
    MiddlewareProbe.finished.clear()
    response = Client().get("/__bench__/empty")
    assert response.status_code == 200 and response.content == b"ok"
    varying = {"X-Request-ID"}  # a fresh id for every request
    assert {k: v for k, v in response.items() if k not in varying} == {
        k: v for k, v in plain.items() if k not in varying
    }
    (marks,) = MiddlewareProbe.finished
    assert len(marks) == len(stack) + 1  # every probe passed, both ways
    assert list(own_times(marks, stack)) == stack
    with pytest.raises(ValueError):
        own_times(marks[:-1], stack)  # a request some middleware answered itself


def _bench_postgres():
    """bench/postgres.py, loaded from its file (the bench scripts import it as a sibling)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "postgres.py"
    spec = importlib.util.spec_from_file_location("bench_postgres", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "pghost,host,reached",
    [
        (None, "127.0.0.1", "TCP 127.0.0.1"),
        ("db.internal", "db.internal", "TCP db.internal"),
        ("/var/run/postgresql", "/var/run/postgresql", "Unix socket /var/run/postgresql"),
    ],
)
def test_the_bench_gives_the_shop_a_database_url_it_can_use(pghost, host, reached, monkeypatch):
    """#23, twentieth round: a socket's directory in PGHOST made a URL the shop could not parse."""
    import dj_database_url

    if pghost is None:
        monkeypatch.delenv("PGHOST", raising=False)
    else:
        monkeypatch.setenv("PGHOST", pghost)
    postgres = _bench_postgres()
    url = postgres.url("auroramart_bench")
    parsed = dj_database_url.parse(url)
    assert (parsed["HOST"], parsed["PORT"], parsed["NAME"]) == (host, 5432, "auroramart_bench")
    assert postgres.connection(url) == reached


@pytest.mark.parametrize("script", ["run.py", "analytics.py", "search_scale.py"])
def test_every_bench_script_takes_its_database_url_from_one_place(script):
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "bench" / script).read_text()
    assert "postgres.url(" in source and "postgres://postgres@" not in source
