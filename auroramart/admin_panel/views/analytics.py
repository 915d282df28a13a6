from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import json_script

from auroramart.analytics import selectors
from auroramart.analytics.tables import Share, tables
from auroramart.core.csv_export import csv_response
from auroramart.core.db_routing import reads_from_replica
from auroramart.core.held import Held

from ..decorators import panel_permission


def _kpi_rows(data):
    """The KPIs as the chart tables write them (analytics/tables.py): money to the cent, counts
    whole, rates and changes as ratios to four places (the dashboard's rounding, not a float's)."""

    def cell(value, fmt):
        return Share(value).raw() if fmt == "percent" else value

    return [
        [
            k["label"],
            cell(k["value"], k["format"]),
            cell(k["previous"], k["format"]),
            "" if k["change"] is None else Share(k["change"]).raw(),
        ]
        for k in data["kpis"]
    ]


@reads_from_replica
@panel_permission("view_analytics")
def dashboard(request):
    period, errors = selectors.parse_range(request.GET)
    figures_key = selectors.dashboard_key(period)
    data = selectors.dashboard(period, figures_key)
    return render(
        request,
        "admin_panel/analytics.html",
        {
            "title": "Analytics",
            "period": period,
            "errors": errors,
            "presets": [(key, label) for key, (label, _) in selectors.PRESETS.items()],
            "data": data,
            "query": _query(period),
            **_figures(figures_key, period, data),
        },
    )


def _query(period) -> str:
    return f"from={period.start}&to={period.end}"


def _figures(key: str | None, period, data: dict) -> dict:
    """The key figures, the charts' tables and the charts' data: made of the period's figures
    alone, the same for every member of staff who may see them, so rendered once per figures
    and held (#23: rendering 90 days' tables was two thirds of the page's CPU). A roll-up
    names new figures; the sentence saying when they were rolled up is rendered afresh."""
    held = _held_figures.get(key) if key else None
    if held is None:
        charts = tables(data)
        config = [
            {"name": c["name"], "type": c["chart"], "labels": c["labels"], "datasets": c["datasets"]}
            for c in charts
        ]
        held = {
            "figures": render_to_string(
                "admin_panel/_analytics_figures.html",
                {"data": data, "charts": charts, "query": _query(period)},
            ),
            "chart_config": json_script(config, "analytics-charts"),
        }
        if key:  # the cache can name the figures
            _held_figures.put(key, held)
    return held


_held_figures: Held[dict] = Held(size=32, seconds=selectors.CACHE_SECONDS)


@reads_from_replica
@panel_permission("view_analytics")
def export(request, name):
    period, _ = selectors.parse_range(request.GET)
    data = selectors.dashboard(period)
    if name == "kpis":
        headers, rows = ["Measure", "This period", "Previous period", "Change"], _kpi_rows(data)
    else:
        table = next((t for t in tables(data) if t["name"] == name), None)
        if table is None:
            raise Http404("No such chart.")
        headers, rows = table["headers"], table["raw"]
    return csv_response(f"auroramart-{name}-{period.start}-{period.end}.csv", headers, rows)
