from datetime import timedelta

from django.db.models import Count, Max
from django.shortcuts import render
from django.utils import timezone

from auroramart.search.models import SearchQueryLog, SearchSuggestion

from ..decorators import panel_permission


@panel_permission("view_analytics")
def search_report(request):
    """What shoppers search for, and what finds nothing (to add products, synonyms or suggestions)."""
    try:
        days = max(1, min(365, int(request.GET.get("days", 30))))
    except ValueError:
        days = 30
    since = timezone.now() - timedelta(days=days)
    logs = SearchQueryLog.objects.filter(created_at__gte=since)
    top = (
        logs.filter(results__gt=0)
        .values("normalised")
        .annotate(n=Count("id"), last=Max("created_at"))
        .order_by("-n")[:30]
    )
    zero = (
        logs.filter(results=0)
        .values("normalised")
        .annotate(n=Count("id"), last=Max("created_at"))
        .order_by("-n")[:30]
    )
    return render(
        request,
        "admin_panel/search_report.html",
        {
            "top": top,
            "zero": zero,
            "days": days,
            "total": logs.count(),
            "suggestions": SearchSuggestion.objects.all()[:30],
            "title": "Searches",
        },
    )
