from django.http import Http404
from django.shortcuts import render

from auroramart.analytics import selectors
from auroramart.analytics.tables import tables
from auroramart.core.csv_export import csv_response
from auroramart.core.db_routing import reads_from_replica

from ..decorators import panel_permission


def _kpi_rows(data):
    return [
        [k["label"], k["value"], k["previous"], "" if k["change"] is None else f"{k['change']:.4f}"]
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
