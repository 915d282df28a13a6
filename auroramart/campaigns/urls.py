from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/banner/", views.banner, name="banner"),
    path("campaigns/<int:pk>/go/", views.go, name="go"),
    path("cart/restore/<str:token>/", views.restore_cart, name="restore_cart"),
]
