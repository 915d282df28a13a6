from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/banner/", views.banner, name="banner"),
    path("campaigns/<int:pk>/go/", views.go, name="go"),
]
