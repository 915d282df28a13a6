"""A campaign's audience: customers matching every filter given. The filters
are plain JSON so staff can save, preview and reuse them."""

import hashlib
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Max, Q, QuerySet

from auroramart.accounts.models import CATEGORICAL_DEMOGRAPHICS
from auroramart.orders.models import PAID_STATUSES as PAID

FILTERS = {
    "predicted_category": "top predicted category (name)",
    "preferred_category": "a declared preferred category (name)",
    "tiers": "loyalty tiers (names)",
    "segments": "RFM segments",
    "gender": "gender",
    "employment_status": "employment",
    "occupation": "occupation",
    "education": "education",
    "age_min": "youngest age",
    "age_max": "oldest age",
    "has_children": "children in the household",
    "last_purchase_after": "last purchase on or after (date)",
    "last_purchase_before": "last purchase before (date), or never bought",
    "opted_in_only": "only customers who accept marketing",
}


def describe(filters: dict) -> str:
    """The filters in words, for staff: "loyalty tiers (names): Gold, Platinum; youngest age: 25"."""
    parts = []
    for key, label in FILTERS.items():
        value = (filters or {}).get(key)
        if value in (None, "", [], False) and not (key == "has_children" and value is False):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        parts.append(label if key == "opted_in_only" else f"{label}: {value}")
    return "; ".join(parts) or "every active customer"


def audience(filters: dict) -> QuerySet:
    User = get_user_model()
    people = User.objects.filter(is_active=True, is_staff=False, profile__isnull=False)
    f = {
        k: v
        for k, v in (filters or {}).items()
        if v not in (None, "", []) and (v is not False or k == "has_children")
    }
    if f.get("predicted_category"):
        people = people.filter(profile__predicted_categories__0__category=f["predicted_category"])
    if f.get("preferred_category"):
        people = people.filter(profile__preferred_categories__name=f["preferred_category"])
    if f.get("tiers"):
        people = people.filter(loyalty__tier__name__in=f["tiers"])
    if f.get("segments"):
        people = people.filter(analytics__segment__in=f["segments"])
    for field in CATEGORICAL_DEMOGRAPHICS:
        if f.get(field):
            people = people.filter(**{f"profile__{field}": f[field]})
    if f.get("age_min") is not None:
        people = people.filter(profile__age__gte=int(f["age_min"]))
    if f.get("age_max") is not None:
        people = people.filter(profile__age__lte=int(f["age_max"]))
    if "has_children" in f:
        people = people.filter(profile__has_children=bool(f["has_children"]))
    if f.get("last_purchase_after") or f.get("last_purchase_before"):
        people = people.annotate(last_purchase=Max("orders__placed_at", filter=Q(orders__status__in=PAID)))
        if f.get("last_purchase_after"):
            people = people.filter(last_purchase__date__gte=date.fromisoformat(str(f["last_purchase_after"])))
        if f.get("last_purchase_before"):
            before = date.fromisoformat(str(f["last_purchase_before"]))
            people = people.filter(Q(last_purchase__date__lt=before) | Q(last_purchase__isnull=True))
    if f.get("opted_in_only"):
        people = people.filter(profile__marketing_opt_in=True)
    # One row per customer whatever the joins (preferred categories, orders).
    return User.objects.filter(pk__in=people.values("pk"))


def in_holdout(campaign_id: int, user_id: int, percent: int) -> bool:
    """The same customer always falls on the same side for a campaign (a stable hash, not random())."""
    digest = hashlib.sha256(f"campaign:{campaign_id}:user:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent
