from django.urls import path

from auroramart.storefront.views import search as views

app_name = "search"

urlpatterns = [
    path("search/", views.results, name="results"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("search/history/clear/", views.clear_history, name="clear_history"),
]
