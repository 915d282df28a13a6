from django.urls import path

from . import views

app_name = "cart"

urlpatterns = [
    path("checkout/cart/", views.detail, name="detail"),
    path("checkout/cart/add/", views.add, name="add"),
    path("checkout/cart/update/<int:variant_id>/", views.update, name="update"),
    path("checkout/cart/remove/<int:variant_id>/", views.remove, name="remove"),
    path("checkout/cart/coupon/", views.apply_coupon, name="coupon"),
    path("checkout/cart/coupon/remove/", views.remove_coupon, name="coupon_remove"),
]
