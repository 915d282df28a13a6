from django.urls import path

from . import views

app_name = "loyalty"

urlpatterns = [
    path("loyalty/", views.dashboard, name="dashboard"),
    path("checkout/cart/loyalty/points/", views.apply_points, name="apply_points"),
    path("checkout/cart/loyalty/reward/<int:reward_id>/", views.apply_reward, name="apply_reward"),
    path("checkout/cart/loyalty/remove/", views.remove, name="remove"),
]
