from django.http import Http404
from django.shortcuts import render

from auroramart.analytics import selectors
from auroramart.analytics.tables import Share, tables
from auroramart.core.csv_export import csv_response
from auroramart.core.db_routing import reads_from_replica

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
    data = selectors.dashboard(period)
    charts = tables(data)
    return render(
        request,
        "admin_panel/analytics.html",
        {
            "title": "Analytics",
            "period": period,
            "errors": errors,
            "presets": [(key, label) for key, (label, _) in selectors.PRESETS.items()],
            "data": data,
            "charts": charts,
            "chart_config": [
                {"name": c["name"], "type": c["chart"], "labels": c["labels"], "datasets": c["datasets"]}
                for c in charts
            ],
            "query": f"from={period.start}&to={period.end}",
        },
    )


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
