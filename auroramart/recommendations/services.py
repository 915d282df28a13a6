"""Training and serving recommendations. Views, commands, tasks and the API call
these; every serving function degrades to popularity when no model loads."""

import hashlib
import logging
import time
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from auroramart.accounts.models import CustomerProfile
from auroramart.catalog.models import Category, Product
from auroramart.catalog.selectors import active_products, with_card_data
from auroramart.core.client import Actor
from auroramart.orders.models import OrderItem
from auroramart.staff.services import record_audit

from . import associations, basket_models, category_model, evaluation, registry
from .datasets import (
    PAID_STATUSES,
    Baskets,
    Customers,
    DatasetError,
    feature_row,
    shop_baskets,
    shop_customers,
)
from .experiments import EXPERIMENT_SLOTS, Assignment
from .experiments import forget as forget_experiment
from .models import AIPerformanceMetrics, ModelVersion, SlotExperiment

log = logging.getLogger(__name__)
POPULARITY = "popularity"
CACHE_SECONDS = 600


# --- training -------------------------------------------------------------------


def _record_offline(record: ModelVersion, metrics: dict) -> None:
    AIPerformanceMetrics.objects.update_or_create(
        date=record.trained_at.date(),
        model_kind=record.kind,
        model_version=record.version,
        slot="",
        defaults={"offline": metrics},
    )


def train_category_model(data: Customers | None = None, repeats: int = 3) -> ModelVersion:
    data = data or shop_customers()
    started = time.perf_counter()
    model, metrics = category_model.train(data, repeats)
    record = registry.save(
        ModelVersion.Kind.CATEGORY,
        model,
        source=data.source,
        data_size={"customers": metrics["customers"], "classes": len(metrics["classes"])},
        parameters={
            "chosen": metrics["chosen"],
            "folds": metrics["folds"],
            "candidates": list(metrics["models"]),
        },
        metrics=metrics,
        seconds=time.perf_counter() - started,
    )
    _record_offline(record, metrics)
    return record


ASSOCIATION_OPTIONS = {"min_pair_baskets": 3, "min_lift": 1.0, "top_k": 20}


def served_model(data: Baskets, chosen: str, parameters: dict, **options) -> associations.AssociationModel:
    """The chosen recommender, fitted on every basket, in the shape the slots read."""
    if chosen == "associations":
        model = associations.mine(data, **{**ASSOCIATION_OPTIONS, **options})
    elif chosen == "popularity":
        counts = np.asarray(data.matrix.sum(axis=0)).ravel()
        model = associations.AssociationModel(list(data.items), counts / max(1, data.matrix.shape[0]))
    else:
        fit_options = {"lam": parameters["lambda"]} if chosen == "EASE" and "lambda" in parameters else {}
        fitted = basket_models.fit(chosen, data.matrix, **fit_options)
        model = associations.from_weights(
            data,
            fitted.neighbours(evaluation.SERVED_NEIGHBOURS),
            top_k=evaluation.SERVED_NEIGHBOURS,
            parameters=fitted.parameters,
        )
    model.parameters = {"model": chosen, **model.parameters}
    return model


def train_association_model(
    data: Baskets | None = None,
    *,
    cutoff=None,
    weeks: int = evaluation.TEST_WEEKS,
    force: str | None = None,
    challenger: bool = False,
    **options,
) -> ModelVersion:
    """Every recommender and baseline compared on one split (time-aware on the shop's orders),
    then the best, by NDCG@10, fitted on all the baskets and served. `force` fits a given model
    instead; `challenger` keeps the version out of serving, for an A/B test's arm B."""
    data = data or shop_baskets()
    if data.matrix.shape[0] < 2 or len(data.items) < 2:
        raise DatasetError(f"{data.source}: at least two baskets over two products are needed to train.")
    options = {**ASSOCIATION_OPTIONS, **options}
    started = time.perf_counter()
    metrics = evaluation.compare(data, cutoff=cutoff, weeks=weeks, **options)
    chosen = force or metrics["chosen"]
    model = served_model(data, chosen, metrics["parameters"].get(chosen, {}), **options)
    record = registry.save(
        ModelVersion.Kind.ASSOCIATIONS,
        model,
        source=data.source,
        data_size={**data.size, "rules": sum(len(r) for r in model.rules.values())},
        parameters=model.parameters,
        metrics=metrics,
        seconds=time.perf_counter() - started,
        challenger=challenger,
    )
    _record_offline(record, metrics)
    return record


# --- cold start -----------------------------------------------------------------


def category_prior(k: int = 3) -> list[dict]:
    """Without a model: the categories customers prefer most, as shares."""
    counts = Counter(
        CustomerProfile.preferred_categories.through.objects.values_list("category__name", flat=True)
    )
    if not counts:
        names = Category.objects.filter(is_active=True).order_by("position").values_list("name", flat=True)
        counts = Counter(dict.fromkeys(names[:k], 1))
    total = sum(counts.values()) or 1
    return [{"category": name, "probability": round(n / total, 4)} for name, n in counts.most_common(k)]


def predict_categories(demographics: dict) -> tuple[list[dict], str]:
    """Top three categories for these demographics, and the model version that said so."""
    record, model = registry.current(ModelVersion.Kind.CATEGORY)
    if model is not None:
        try:
            return category_model.predict_top(model, feature_row(demographics)), record.version
        except Exception as exc:  # a model that no longer fits the data must not break registration
            log.warning("Category model %s failed to predict (%s); using the prior.", record, exc)
    return category_prior(), POPULARITY


def predict_for_new_customer(user) -> None:
    """Registration (and profile update) step: store the prediction on the customer's profile.
    An account made from a guest order has no profile yet: nothing to predict from."""
    profile = getattr(user, "profile", None)
    if profile is None:
        return
    profile.predicted_categories, profile.prediction_model_version = predict_categories(
        {f: getattr(profile, f) for f in category_model.CATEGORICAL + category_model.NUMERIC}
    )
    profile.save(update_fields=["predicted_categories", "prediction_model_version"])


def repredict_all(batch: int = 1000) -> int:
    """Re-run the current category model for every customer profile; returns how many changed."""
    fields = category_model.CATEGORICAL + category_model.NUMERIC
    changed = 0
    profiles = CustomerProfile.objects.order_by("pk").only("pk", *fields, "predicted_categories")
    pending = []
    for profile in profiles.iterator(chunk_size=batch):
        predicted, version = predict_categories({f: getattr(profile, f) for f in fields})
        if predicted != profile.predicted_categories or version != profile.prediction_model_version:
            profile.predicted_categories, profile.prediction_model_version = predicted, version
            pending.append(profile)
            changed += 1
        if len(pending) >= batch:
            CustomerProfile.objects.bulk_update(pending, ["predicted_categories", "prediction_model_version"])
            pending = []
    CustomerProfile.objects.bulk_update(pending, ["predicted_categories", "prediction_model_version"])
    return changed


# --- serving ----------------------------------------------------------------------


def _in_stock(queryset=None):
    return (queryset if queryset is not None else active_products()).filter(stock_quantity__gt=0)


def _ordered(ids: list[int], exclude=frozenset(), limit: int = 8) -> list[Product]:
    """Products by id in the given order, in stock, card data attached (two queries)."""
    wanted = [pk for pk in dict.fromkeys(ids) if pk not in exclude]
    found = {p.pk: p for p in with_card_data(_in_stock()).filter(pk__in=wanted[: limit * 3])}
    return [found[pk] for pk in wanted if pk in found][:limit]


def popular_ids(limit: int = 60) -> list[int]:
    key = f"recs:popular:{limit}"
    ids = cache.get(key)
    if ids is None:
        ids = list(_in_stock().order_by("-sold_count", "pk").values_list("pk", flat=True)[:limit])
        cache.set(key, ids, CACHE_SECONDS)
    return ids


def trending_ids(limit: int = 40, days: int = 7) -> list[int]:
    """Most viewed in the last week (one view per visitor and half hour), then best sellers."""
    key = f"recs:trending:{limit}:{days}"
    ids = cache.get(key)
    if ids is None:
        from auroramart.search.models import ProductView

        since = timezone.now() - timedelta(days=days)
        ids = list(
            ProductView.objects.filter(
                created_at__gte=since, product__is_active=True, product__stock_quantity__gt=0
            )
            .values("product_id")
            .annotate(n=Count("id"))
            .order_by("-n", "product_id")
            .values_list("product_id", flat=True)[:limit]
        )
        cache.set(key, ids, CACHE_SECONDS)
    return ids


def for_guest(limit: int = 8, exclude=frozenset()) -> list[Product]:
    """Trending first, best sellers filling the rest."""
    return _ordered(trending_ids() + popular_ids(), exclude, limit)


def _association_model(assignment: Assignment | None = None):
    """(version, model) for a slot: the served one, or for arm B of an A/B test its challenger."""
    if assignment is not None and assignment.arm == "B":
        challenger = assignment.experiment.challenger
        model = registry.load(challenger)
        if model is not None:
            return challenger, model
    return registry.current(ModelVersion.Kind.ASSOCIATIONS)


def _sku_ids(skus) -> dict[str, int]:
    return dict(Product.objects.filter(sku__in=list(skus)).values_list("sku", "pk"))


def _rule_scores(model, product_ids) -> Counter:
    """SKU -> summed confidence of the rules from these products (the basket scorer)."""
    scores: Counter = Counter()
    for sku in Product.objects.filter(pk__in=list(product_ids)).values_list("sku", flat=True):
        for rule in model.related(sku, 20):
            scores[rule.item] += rule.weight
    return scores


def bought_together(
    product: Product, *, exclude=frozenset(), limit: int = 3, assignment: Assignment | None = None
) -> tuple[list[tuple], str]:
    """[(product, rule)] for the product's best neighbours that were bought with it more often
    than chance (lift > 1), in stock and not excluded."""
    record, model = _association_model(assignment)
    if model is None:
        return [], POPULARITY
    rules = {rule.item: rule for rule in model.related(product.sku, 30) if rule.bought_together}
    ids = _sku_ids(rules)
    by_sku = {pk: sku for sku, pk in ids.items()}
    ordered = _ordered([ids[sku] for sku in rules if sku in ids], set(exclude) | {product.pk}, limit)
    return [(p, rules[by_sku[p.pk]]) for p in ordered], record.version


def complete_the_set(
    product_ids, *, limit: int = 4, assignment: Assignment | None = None
) -> tuple[list[Product], str]:
    """Products most often bought with what is in the cart, none of which is in it already."""
    product_ids = set(product_ids)
    if not product_ids:
        return [], POPULARITY
    record, model = _association_model(assignment)
    if model is None:
        return [], POPULARITY
    # The ranking depends only on the model and the cart's products: kept, so a cart page
    # (shown again after every change of a quantity) does not score the rules each time.
    # Stock and availability are still checked on every request (_ordered).
    basket = ",".join(map(str, sorted(product_ids))).encode()
    key = f"recs:complete:{record.version}:{hashlib.sha1(basket, usedforsecurity=False).hexdigest()}"
    ranked = cache.get(key)
    if ranked is None:
        scores = _rule_scores(model, product_ids)
        ids = _sku_ids(scores)
        ranked = [ids[sku] for sku, _ in scores.most_common() if sku in ids][: limit * 6]
        cache.set(key, ranked, CACHE_SECONDS)
    return _ordered(ranked, product_ids, limit), record.version


def purchased_ids(user) -> dict[int, bool]:
    """Products the customer has bought → whether they are consumable."""
    return dict(
        OrderItem.objects.filter(order__user=user, order__status__in=PAID_STATUSES, product__isnull=False)
        .values_list("product_id", "product__category__is_consumable")
        .distinct()
    )


def predicted_category_names(user) -> list[dict]:
    profile = getattr(user, "profile", None)
    if profile is None:
        return []
    return profile.predicted_categories or []


# How much each signal counts in "Recommended for you", strongest first. Each item the
# shopper bought, saved, viewed or searched for lends at most its weight to its neighbours.
SIGNAL_WEIGHTS = {"bought": 3.0, "saved": 2.5, "searched": 2.0, "viewed": 1.5}
RECENT_VIEWS, RECENT_SEARCHES, SEARCH_HITS = 12, 3, 4
PER_BRAND, PER_SUBCATEGORY = 2, 3  # at most this many of one brand (subcategory) in a slot


def _shopper_signals(user) -> list[tuple[str, int, float, str]]:
    """(signal, product id, strength, search) for what the shopper bought, saved, viewed and
    searched for (a search stands for its best hits; `search` names it)."""
    from auroramart.accounts.models import WishlistItem
    from auroramart.search.models import ProductView, SearchHistory

    signals = [("bought", pk, 1.0, "") for pk in purchased_ids(user)]
    saved = WishlistItem.objects.filter(user=user).values_list("product_id", flat=True)[:20]
    signals += [("saved", pk, 1.0, "") for pk in saved]
    viewed = (
        ProductView.objects.filter(user=user, created_at__gte=timezone.now() - timedelta(days=30))
        .order_by("-created_at")
        .values_list("product_id", flat=True)[: RECENT_VIEWS * 3]
    )
    for rank, pk in enumerate(list(dict.fromkeys(viewed))[:RECENT_VIEWS]):
        signals.append(("viewed", pk, 1 - rank / (2 * RECENT_VIEWS), ""))  # the newest count most
    queries = SearchHistory.objects.filter(user=user).values_list("query", flat=True)[: RECENT_SEARCHES * 3]
    for query in list(dict.fromkeys(queries))[:RECENT_SEARCHES]:
        for rank, pk in enumerate(_search_hits(query.lower())):
            signals.append(("searched", pk, 1 - rank / (2 * SEARCH_HITS), query))
    return signals


def _search_hits(query: str) -> list[int]:
    """The best few products for a past search, kept per catalog version."""
    from auroramart.catalog.cache import catalog_version
    from auroramart.search.backends import search_products

    digest = hashlib.sha1(query.encode(), usedforsecurity=False).hexdigest()
    key = f"recs:search-hits:{catalog_version()}:{digest}"
    ids = cache.get(key)
    if ids is None:
        ids = list(search_products(query).order_by("-score", "pk").values_list("pk", flat=True)[:SEARCH_HITS])
        cache.set(key, ids, CACHE_SECONDS)
    return ids


def _diverse(products: list[Product], limit: int) -> list[Product]:
    """The best `limit`, with at most PER_BRAND of a brand and PER_SUBCATEGORY of a subcategory;
    what is passed over fills any places left, best first."""
    chosen: list[Product] = []
    passed: list[Product] = []
    brands: Counter = Counter()
    kinds: Counter = Counter()
    for product in products:
        if brands[product.brand_id] >= PER_BRAND or kinds[product.subcategory_id] >= PER_SUBCATEGORY:
            passed.append(product)
            continue
        chosen.append(product)
        brands[product.brand_id] += 1
        kinds[product.subcategory_id] += 1
        if len(chosen) == limit:
            return chosen
    return chosen + passed[: limit - len(chosen)]


REASONS = {
    "bought": "Because you bought {name}",
    "saved": "Because you saved {name}",
    "viewed": "Because you viewed {name}",
    "searched": "Because you searched for {name}",
    "category": "Popular in {name}",
    "popular": "Popular right now",
}


def for_customer(
    user, *, limit: int = 8, exclude=frozenset(), assignment: Assignment | None = None
) -> tuple[list[Product], str]:
    """What the shopper bought, saved, viewed and searched for, through the basket model's
    neighbours (and a search's own hits), blended with their predicted or declared categories'
    best sellers and popularity. Past purchases are left out unless consumable, saved items
    (they are on the wishlist already) and out-of-stock products always; no more than two of a
    brand. Each product carries `reason`, the few words that say why it is there."""
    signals = _shopper_signals(user)
    bought = purchased_ids(user)
    scores: defaultdict[int, float] = defaultdict(float)
    best: dict[int, tuple[float, str, Any]] = {}  # pk -> (contribution, signal, source)

    def add(pk: int, amount: float, signal: str, source) -> None:
        scores[pk] += amount
        if amount > best.get(pk, (0.0,))[0]:
            best[pk] = (amount, signal, source)

    record, model = _association_model(assignment)
    version = record.version if record else POPULARITY
    sources = {pk for _, pk, _, _ in signals}
    sku_of = dict(Product.objects.filter(pk__in=sources).values_list("pk", "sku")) if sources else {}
    neighbours: dict[int, list] = {}
    if model is not None:
        for pk, sku in sku_of.items():
            rules = model.related(sku, 20)
            top = max((r.weight for r in rules), default=0)
            neighbours[pk] = [(r.item, r.weight / top) for r in rules if top > 0 and r.weight > 0]
    ids = _sku_ids({sku for found in neighbours.values() for sku, _ in found})
    for signal, pk, strength, query in signals:
        weight = SIGNAL_WEIGHTS[signal] * strength
        source = f"“{query}”" if query else pk
        if signal == "searched":
            add(pk, weight, signal, source)  # a hit for what they looked for is itself a pick
        for sku, share in neighbours.get(pk, []):
            if sku in ids:
                add(ids[sku], weight * share * (0.5 if query else 1), signal, source)
    weights = {c["category"]: c["probability"] for c in predicted_category_names(user)}
    if hasattr(user, "profile"):
        for name in user.profile.preferred_categories.values_list("name", flat=True):
            weights[name] = max(weights.get(name, 0), 1.0)
    if weights:
        top = (
            _in_stock()
            .filter(category__name__in=list(weights))
            .order_by("-sold_count", "pk")
            .values_list("pk", "category__name")[:60]
        )
        for rank, (pk, name) in enumerate(top):
            add(pk, weights[name] * (1 - rank / 60), "category", name)
    for rank, pk in enumerate(popular_ids()):
        add(pk, 0.2 * (1 - rank / 60), "popular", None)
    saved = {pk for signal, pk, _, _ in signals if signal == "saved"}
    excluded = set(exclude) | saved | {pk for pk, consumable in bought.items() if not consumable}
    ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))
    picks = _diverse(_ordered(ranked, excluded, limit * 4), limit)
    names: dict[Any, str] = dict(Product.objects.filter(pk__in=sources).values_list("pk", "name"))
    for product in picks:
        _, signal, source = best[product.pk]
        reason = REASONS[signal].format(name=names.get(source, source) if source else "")
        product.reason = reason  # type: ignore[attr-defined]  # read by the slot and the API
    return picks, version


def picked_for_you(user, *, limit: int = 4) -> tuple[list[dict], list[Product], str]:
    """The customer's predicted categories and the best sellers in them."""
    predicted = predicted_category_names(user)
    version = getattr(getattr(user, "profile", None), "prediction_model_version", "") or POPULARITY
    names = [c["category"] for c in predicted]
    categories = {c.name: c for c in Category.objects.filter(name__in=names, is_active=True)}
    picked = [
        {**c, "url": categories[c["category"]].get_absolute_url()}
        for c in predicted
        if c["category"] in categories
    ]
    products: list[Product] = []
    if picked:
        per = max(1, limit // len(picked))
        ids = []
        for c in picked:
            ids += list(
                _in_stock()
                .filter(category__name=c["category"])
                .order_by("-sold_count", "pk")
                .values_list("pk", flat=True)[:per]
            )
        products = _ordered(ids, frozenset(), limit)
    return picked, products, version


# --- the catalogue changed its category names -------------------------------------------


def _relabel(old_name: str, new_name: str | None) -> int:
    """Rewrite (or, with None, drop) one category label in every stored prediction."""
    changed = []
    profiles = CustomerProfile.objects.filter(predicted_categories__icontains=old_name).only(
        "pk", "predicted_categories"
    )
    for profile in profiles.iterator(chunk_size=1000):
        labels = profile.predicted_categories or []
        if not any(p.get("category") == old_name for p in labels):
            continue
        profile.predicted_categories = [
            {**p, "category": new_name} if p.get("category") == old_name else p
            for p in labels
            if new_name is not None or p.get("category") != old_name
        ]
        changed.append(profile)
    CustomerProfile.objects.bulk_update(changed, ["predicted_categories"], batch_size=1000)
    return len(changed)


def _retrain_after_commit() -> None:
    """The category model learnt the old names: retrain it (and re-predict everyone) once the
    change is committed, in the background where a worker runs."""
    from .tasks import train_models_task

    transaction.on_commit(train_models_task.delay)


def relabel_category(*, category, old_name: str, new_name: str) -> None:
    """On CategoryRenamed: stored predictions name the category by its new name at once."""
    _relabel(old_name, new_name)
    _retrain_after_commit()


def forget_category(*, name: str) -> None:
    """On CategoryDeleted: predictions of a category that no longer exists are dropped."""
    _relabel(name, None)
    _retrain_after_commit()


# --- staff actions --------------------------------------------------------------------------


def retrain_models(*, actor: Actor | None) -> tuple[list[ModelVersion], int]:
    """Staff's "retrain now": both models from the shop's data, then every customer re-predicted;
    the new versions are audited with the re-prediction, in one transaction."""
    records = [train_category_model(), train_association_model()]
    with transaction.atomic():
        changed = repredict_all()
        for record in records:
            record_audit(actor, "retrain", record, changes={"version": ["", record.version]})
    return records, changed


@transaction.atomic
def repredict_customers(*, actor: Actor | None) -> int:
    changed = repredict_all()
    record_audit(actor, "repredict", object_type="CustomerProfile", object_repr=f"{changed} changed")
    return changed


# --- A/B tests --------------------------------------------------------------------------------


class ExperimentError(ValueError):
    """The A/B test cannot start as asked; the message says why."""


def start_experiment(*, slot: str, model: str, share_b: int, actor: Actor | None) -> SlotExperiment:
    """Train `model` from the shop's orders as a challenger and serve it to `share_b`% of the
    slot's shoppers (arm B); the others keep the served model (arm A). Audited."""
    if slot not in EXPERIMENT_SLOTS:
        raise ExperimentError(f"{slot} is not served by the basket model.")
    if model not in {*basket_models.BASELINES, *basket_models.CANDIDATES} - {"popularity"}:
        raise ExperimentError(f"{model} is not a basket model.")
    if not 1 <= share_b <= 99:
        raise ExperimentError("Arm B's share must be between 1 and 99 percent.")
    if SlotExperiment.objects.filter(slot=slot, ended_at__isnull=True).exists():
        raise ExperimentError(f"An A/B test is already running in {slot}; stop it first.")
    challenger = train_association_model(force=model, challenger=True)
    with transaction.atomic():
        experiment = SlotExperiment.objects.create(slot=slot, challenger=challenger, share_b=share_b)
        record_audit(actor, "start A/B test", experiment, changes={"challenger": ["", challenger.version]})
    forget_experiment(slot)
    return experiment


@transaction.atomic
def stop_experiment(*, experiment: SlotExperiment, actor: Actor | None) -> SlotExperiment:
    locked = SlotExperiment.objects.select_for_update().get(pk=experiment.pk)
    if locked.ended_at is None:
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_at"])
        record_audit(actor, "stop A/B test", locked)
    # Now, and again once committed (a request in between may have cached it as running).
    forget_experiment(locked.slot)
    transaction.on_commit(lambda: forget_experiment(locked.slot))
    return locked
