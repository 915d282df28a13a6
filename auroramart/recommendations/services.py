"""Training and serving recommendations. Views, commands, tasks and the API call
these; every serving function degrades to popularity when no model loads."""

import hashlib
import logging
import time
from collections import Counter, defaultdict
from datetime import timedelta

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

from . import associations, category_model, evaluation, registry
from .datasets import (
    PAID_STATUSES,
    Baskets,
    Customers,
    DatasetError,
    feature_row,
    shop_baskets,
    shop_customers,
)
from .models import AIPerformanceMetrics, ModelVersion

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


def train_association_model(data: Baskets | None = None, **options) -> ModelVersion:
    data = data or shop_baskets()
    if data.matrix.shape[0] < 2 or len(data.items) < 2:
        raise DatasetError(f"{data.source}: at least two baskets over two products are needed to train.")
    options = {**ASSOCIATION_OPTIONS, **options}
    started = time.perf_counter()
    metrics = evaluation.evaluate_baskets(data, **options)  # scored on held-out baskets...
    model = associations.mine(data, **options)  # ...then served from all of them
    record = registry.save(
        ModelVersion.Kind.ASSOCIATIONS,
        model,
        source=data.source,
        data_size={**data.size, "rules": sum(len(r) for r in model.rules.values())},
        parameters=model.parameters,
        metrics=metrics,
        seconds=time.perf_counter() - started,
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


def _association_model():
    return registry.current(ModelVersion.Kind.ASSOCIATIONS)


def _sku_ids(skus) -> dict[str, int]:
    return dict(Product.objects.filter(sku__in=list(skus)).values_list("sku", "pk"))


def _rule_scores(model, product_ids) -> Counter:
    """SKU -> summed confidence of the rules from these products (the basket scorer)."""
    scores: Counter = Counter()
    for sku in Product.objects.filter(pk__in=list(product_ids)).values_list("sku", flat=True):
        for rule in model.related(sku, 20):
            scores[rule.item] += rule.confidence
    return scores


def bought_together(product: Product, *, exclude=frozenset(), limit: int = 3) -> tuple[list[tuple], str]:
    """[(product, rule)] for the product's best rules with lift > 1, in stock and not excluded."""
    record, model = _association_model()
    if model is None:
        return [], POPULARITY
    rules = {rule.item: rule for rule in model.related(product.sku, 20)}
    ids = _sku_ids(rules)
    by_sku = {pk: sku for sku, pk in ids.items()}
    ordered = _ordered([ids[sku] for sku in rules if sku in ids], set(exclude) | {product.pk}, limit)
    return [(p, rules[by_sku[p.pk]]) for p in ordered], record.version


def complete_the_set(product_ids, *, limit: int = 4) -> tuple[list[Product], str]:
    """Products most often bought with what is in the cart, none of which is in it already."""
    product_ids = set(product_ids)
    if not product_ids:
        return [], POPULARITY
    record, model = _association_model()
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


def for_customer(user, *, limit: int = 8, exclude=frozenset()) -> tuple[list[Product], str]:
    """Blend: rules from what they bought (strongest), their predicted or declared
    categories' best sellers, then popularity. Past purchases are left out unless
    consumable; out-of-stock products always are."""
    bought = purchased_ids(user)
    scores: defaultdict[int, float] = defaultdict(float)
    record, model = _association_model()
    version = record.version if record else POPULARITY
    if model is not None and bought:
        rule_scores = _rule_scores(model, bought)
        for sku, pk in _sku_ids(rule_scores).items():
            scores[pk] += 3 * rule_scores[sku]
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
            scores[pk] += weights[name] * (1 - rank / 60)
    for rank, pk in enumerate(popular_ids()):
        scores[pk] += 0.2 * (1 - rank / 60)
    excluded = set(exclude) | {pk for pk, consumable in bought.items() if not consumable}
    ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))
    return _ordered(ranked, excluded, limit), version


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
