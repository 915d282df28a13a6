from django.urls import path

from . import views

app_name = "recommendations"

urlpatterns = [
    path("recommendations/home/", views.home_slots, name="home"),
    path("recommendations/for-you/", views.for_you, name="for_you"),
    path("recommendations/product/<int:pk>/together/", views.bought_together, name="bought_together"),
    path("recommendations/bundle/", views.add_bundle, name="add_bundle"),
]
