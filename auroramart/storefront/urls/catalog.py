from django.urls import path

from auroramart.storefront.views import catalog as views

app_name = "catalog"

urlpatterns = [
    path("item/", views.product_list, name="product_list"),
    path("item/<slug:slug>/", views.product_detail, name="product"),
    path("item/<slug:slug>/review/", views.write_review, name="review"),
    path("category/<slug:slug>/", views.category_detail, name="category"),
    path("category/<slug:slug>/<slug:sub>/", views.subcategory_detail, name="subcategory"),
]
