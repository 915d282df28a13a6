from django.urls import path

from auroramart.storefront.views import account

app_name = "account"

urlpatterns = [path("account/", account.overview, name="overview")]
