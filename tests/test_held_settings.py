"""#23: the shipping zones, the tax set-up and the rewards on offer are read by every cart and
checkout request, and the loyalty tiers and when points campaigns run by every paid order; each process holds them decoded (core.held.HeldSetting) and asks the shared
cache only for one generation number per request. None of them may ever be served stale: a
change on another node, a change in this request, a flushed cache and a cache that is down are
each checked for all three, with the rows changed behind the app's back (a queryset update sends
no signal) so that only the generation can tell."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache, caches
from django.utils import timezone

from auroramart.campaigns import services as campaigns
from auroramart.campaigns.models import Campaign
from auroramart.core.cache_backends import ResilientRedisCache
from auroramart.core.held import GENERATION_KEY, HeldSetting
from auroramart.core.request_context import request_memo
from auroramart.loyalty import selectors as loyalty
from auroramart.loyalty.models import LoyaltyReward, LoyaltyTier
from auroramart.loyalty.services import base_tier
from auroramart.shipping import selectors as shipping
from auroramart.shipping.models import ShippingZone
from auroramart.tax import selectors as tax
from auroramart.tax.models import TaxRate

from .test_degradation import DEAD_REDIS

pytestmark = pytest.mark.django_db


def _rewards():
    LoyaltyReward.objects.create(name="Tote bag", kind="gift", point_cost=500)


def _points_campaign():
    now = timezone.now()
    Campaign.objects.create(
        name="Double points",
        status=Campaign.Status.LAUNCHED,
        offer=Campaign.Offer.POINTS,
        headline="Double points",
        message="This week only.",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=6),
    )


SETTINGS = {
    "shipping zones": (
        shipping.zones,
        shipping._zones,
        None,
        lambda: ShippingZone.objects.update(name="Renamed"),
        lambda zones: [z.name for z in zones],
    ),
    "tax set-up": (
        tax.config,
        tax._config,
        None,
        lambda: TaxRate.objects.update(rate=Decimal("0.5")),
        lambda config: sorted(str(r.rate) for r in config.rates.values()),
    ),
    "rewards on offer": (
        loyalty.active_rewards,
        loyalty._rewards,
        _rewards,
        lambda: LoyaltyReward.objects.update(name="Renamed"),
        lambda rewards: [r.name for r in rewards],
    ),
    "loyalty tiers": (
        loyalty.tiers,
        loyalty._tiers,
        base_tier,  # the tiers a shop starts with
        lambda: LoyaltyTier.objects.update(perks="Changed"),
        lambda tiers: [t.perks for t in tiers],
    ),
    "when points campaigns run": (
        campaigns._points_campaigns.get,
        campaigns._points_campaigns,
        _points_campaign,
        lambda: Campaign.objects.update(ends_at=timezone.now() - timedelta(hours=1)),
        lambda windows: [ends for _, ends in windows],
    ),
}


@contextmanager
def request():
    """What the middleware gives each request: its own memo (the generation is read once)."""
    token = request_memo.set({})
    try:
        yield
    finally:
        request_memo.reset(token)


@pytest.fixture
def reads(monkeypatch):
    """The keys this process asks the shared cache for, one at a time or several at once (a
    backend that answers get_many with gets is not counted twice)."""
    asked = []
    inside = []
    backend = type(caches["default"])
    real_get, real_get_many = backend.get, backend.get_many

    def get(self, key, *args, **kwargs):
        if not inside:
            asked.append(key)
        return real_get(self, key, *args, **kwargs)

    def get_many(self, keys, *args, **kwargs):
        asked.extend(keys)
        inside.append(1)
        try:
            return real_get_many(self, keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(backend, "get", get)
    monkeypatch.setattr(backend, "get_many", get_many)
    return asked


@pytest.mark.parametrize("name", SETTINGS)
def test_a_held_setting_is_served_from_the_process_until_another_node_changes_it(name, reads):
    get, hold, seed, change, shows = SETTINGS[name]
    if seed:
        seed()
    with request():
        before = shows(get())
    reads.clear()
    with request():
        assert shows(get()) == before
        assert shows(get()) == before
    # The generation, once (with the other keys every request shares, core/shared_reads.py); the
    # value itself is not fetched nor unpickled again.
    assert reads.count(GENERATION_KEY) == 1 and hold.key not in reads
    change()
    with request():
        assert shows(get()) == before  # nothing said it changed: the copy stands
    HeldSetting(hold.key, hold.load).forget()  # what another node does when it saves the rows
    with request():
        after = shows(get())
    assert after != before and after == shows(hold.load())


@pytest.mark.parametrize("name", SETTINGS)
def test_a_change_saved_in_this_request_is_seen_by_it_and_by_the_next(name):
    get, hold, seed, change, shows = SETTINGS[name]
    if seed:
        seed()
    with request():
        before = shows(get())
        change()
        hold.forget()  # what each app's signal does on a save or a delete
        assert shows(get()) != before
        assert shows(get()) == shows(hold.load())
    with request():
        assert shows(get()) == shows(hold.load())


def test_a_saved_row_moves_each_setting_on_through_its_apps_signals():
    """The apps drop their setting on any save, however it was written (apps.py)."""
    _rewards()
    _points_campaign()
    with request():
        zones, config, rewards = shipping.zones(), tax.config(), loyalty.active_rewards()
        windows = campaigns._points_campaigns.get()
    zone = ShippingZone.objects.order_by("pk").first()
    zone.name = "Saved"
    zone.save()
    rate = TaxRate.objects.order_by("pk").first()
    rate.rate = Decimal("0.2")
    rate.save()
    reward = LoyaltyReward.objects.get()
    reward.name = "Saved"
    reward.save()
    campaign = Campaign.objects.get()
    campaign.status = Campaign.Status.DRAFT  # stopped: no longer running
    campaign.save()
    with request():
        assert windows and campaigns._points_campaigns.get() == []
        assert "Saved" in [z.name for z in shipping.zones()] and shipping.zones() != zones
        assert Decimal("0.2") in [r.rate for r in tax.config().rates.values()] and tax.config() != config
        assert [r.name for r in loyalty.active_rewards()] == ["Saved"] != [r.name for r in rewards]


@pytest.mark.parametrize("name", SETTINGS)
def test_a_flushed_cache_leaves_no_held_copy_in_use(name):
    get, hold, seed, change, shows = SETTINGS[name]
    if seed:
        seed()
    with request():
        before = shows(get())
    change()
    cache.clear()  # the generation goes with it; the next starts at a random number
    with request():
        after = shows(get())
    assert after != before and after == shows(hold.load())


@pytest.mark.parametrize("name", SETTINGS)
def test_with_the_shared_cache_down_every_request_reads_the_database(name, settings):
    get, hold, seed, change, shows = SETTINGS[name]
    if seed:
        seed()
    with request():
        before = shows(get())
    ResilientRedisCache._down_until = 0.0
    settings.CACHES = DEAD_REDIS
    try:
        change()  # nobody can tell the other nodes: only the database knows
        with request():
            after = shows(get())
    finally:
        ResilientRedisCache._down_until = 0.0
    assert after != before and after == shows(hold.load())
