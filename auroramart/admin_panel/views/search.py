from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from auroramart.core.client import actor_for
from auroramart.search import services
from auroramart.search.backends import did_you_mean
from auroramart.search.models import SearchPin, SearchQueryLog, SearchSuggestion, SynonymGroup
from auroramart.staff.permissions import user_permissions

from ..decorators import panel_permission


def _with_trend(rows, logs_before) -> list[dict]:
    """Each row with its count in the period before, to show whether it grows."""
    rows = list(rows)
    before = dict(
        logs_before.filter(normalised__in=[r["normalised"] for r in rows])
        .values_list("normalised")
        .annotate(n=Count("id"))
    )
    for row in rows:
        row["before"] = before.get(row["normalised"], 0)
        row["change"] = row["n"] - row["before"]
    return rows


@panel_permission("view_analytics")
def search_report(request):
    """What shoppers search for, what finds nothing and what nobody clicks, with their trend
    and one-click fixes (a synonym, a pinned product)."""
    try:
        days = max(1, min(365, int(request.GET.get("days", 30))))
    except ValueError:
        days = 30
    now = timezone.now()
    since = now - timedelta(days=days)
    logs = SearchQueryLog.objects.filter(created_at__gte=since)
    before = SearchQueryLog.objects.filter(created_at__gte=since - timedelta(days=days), created_at__lt=since)
    grouped = logs.values("normalised").annotate(n=Count("id"), last=Max("created_at"))
    top = grouped.filter(results__gt=0).annotate(clicked=Count("clicked_at")).order_by("-n")[:30]
    zero = _with_trend(grouped.filter(results=0).order_by("-n", "normalised")[:30], before)
    unclicked = _with_trend(
        logs.filter(results__gt=0)
        .values("normalised")
        .annotate(n=Count("id"), clicks=Count("clicked_at"), last=Max("created_at"))
        .filter(n__gte=2, clicks=0)
        .order_by("-n", "normalised")[:30],
        before,
    )
    for row in zero:
        row["suggested"] = did_you_mean(row["normalised"]) or ""
    searched = logs.filter(results__gt=0).aggregate(n=Count("id"), clicked=Count("clicked_at"))
    return render(
        request,
        "admin_panel/search_report.html",
        {
            "top": top,
            "zero": zero,
            "unclicked": unclicked,
            "days": days,
            "total": logs.count(),
            "click_rate": searched["clicked"] / searched["n"] if searched["n"] else 0,
            "suggestions": SearchSuggestion.objects.all()[:30],
            "synonyms": SynonymGroup.objects.all(),
            "pins": SearchPin.objects.select_related("product"),
            "can_fix": "manage_search" in user_permissions(request.user),
            "title": "Searches",
        },
    )


def _back(request):
    return redirect("admin_panel:searches")


@panel_permission("manage_search")
@require_POST
def synonyms_save(request):
    try:
        group = services.save_synonyms(words=request.POST.get("words", ""), actor=actor_for(request))
    except services.SearchFixError as exc:
        messages.error(request, f"Synonyms not saved: {exc}")
    else:
        messages.success(
            request, f"Synonyms saved: {group.words}. Searches for any of them now find the others."
        )
    return _back(request)


@panel_permission("manage_search")
@require_POST
def synonyms_delete(request, pk):
    group = get_object_or_404(SynonymGroup, pk=pk)
    services.delete_synonyms(group=group, actor=actor_for(request))
    messages.success(request, f"Synonyms removed: {group.words}.")
    return _back(request)


@panel_permission("manage_search")
@require_POST
def pin(request):
    try:
        pinned = services.pin_product(
            query=request.POST.get("query", ""), sku=request.POST.get("sku", ""), actor=actor_for(request)
        )
    except services.SearchFixError as exc:
        messages.error(request, f"Not pinned: {exc}")
    else:
        messages.success(request, f"{pinned.product.name} now comes first for “{pinned.query}”.")
    return _back(request)


@panel_permission("manage_search")
@require_POST
def unpin(request, pk):
    pinned = get_object_or_404(SearchPin, pk=pk)
    services.unpin_product(pin=pinned, actor=actor_for(request))
    messages.success(request, f"Unpinned {pinned.product.name} from “{pinned.query}”.")
    return _back(request)
