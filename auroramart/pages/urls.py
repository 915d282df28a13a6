from django.urls import path

from . import views

app_name = "pages"

urlpatterns = [
    path("", views.home, name="home"),
    path("contact/", views.contact, name="contact"),
] + [path(f"{slug}/", views.static_page, {"page": slug}, name=slug) for slug in views.STATIC_PAGES]
