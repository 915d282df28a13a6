"""A URL conf for the access-decorator tests: the shop's URLs plus views behind each decorator."""

from django.http import HttpResponse
from django.urls import include, path

from auroramart.core.access import admin_required, customer_required, role_required


@customer_required
def customer_view(request):
    return HttpResponse("customer page")


@admin_required
def admin_view(request):
    return HttpResponse("admin page")


@role_required(["Sales", "Admin"])
def sales_view(request):
    return HttpResponse("sales page")


urlpatterns = [
    path("t/customer/", customer_view),
    path("t/admin/", admin_view),
    path("t/sales/", sales_view),
    path("", include("auroramart.urls")),
]
