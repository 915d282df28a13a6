from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("payments/webhooks/", views.webhook, name="webhook"),
    path("profile/cards/", views.cards, name="cards"),
    path("profile/cards/<int:pk>/remove/", views.card_remove, name="card_remove"),
    path("payments/test-provider/payment-methods/", views.test_tokenise, name="test-tokenise"),
    path(
        "payments/test-provider/authenticate/<str:reference>/",
        views.test_authenticate,
        name="test-authenticate",
    ),
]
