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
