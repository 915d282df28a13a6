from django.core.paginator import Paginator
from django.shortcuts import render

from auroramart.core.csv_export import csv_stream
from auroramart.staff.models import AuditLog

from ..decorators import panel_permission
from ..filters import date_param


def _entries(params):
    entries = AuditLog.objects.all()
    for field, lookup in (
        ("actor", "actor_email__icontains"),
        ("action", "action"),
        ("object_type", "object_type"),
        ("object_id", "object_id"),
    ):
        if params.get(field):
            entries = entries.filter(**{lookup: params[field]})
    if start := date_param(params, "from"):
        entries = entries.filter(created_at__date__gte=start)
    if end := date_param(params, "to"):
        entries = entries.filter(created_at__date__lte=end)
    return entries


@panel_permission("view_audit")
def audit_log(request):
    page = Paginator(_entries(request.GET), 50).get_page(request.GET.get("page"))
    actions = AuditLog.objects.values_list("action", flat=True).distinct().order_by("action")
    return render(request, "admin_panel/audit.html", {"page": page, "actions": actions, "title": "Audit log"})


@panel_permission("view_audit")
def audit_export(request):
    header = ["when", "actor", "action", "object_type", "object_id", "object", "changes", "ip"]

    def rows():
        for e in _entries(request.GET).iterator(chunk_size=2000):
            yield (
                [
                    e.created_at.isoformat(),
                    e.actor_email,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.object_repr,
                    e.changes,
                    e.ip,
                ]
            )

    return csv_stream("audit-log.csv", header, rows())
