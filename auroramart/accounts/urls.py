from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.CustomerLoginView.as_view(), name="login"),
    path("logout/", views.CustomerLogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/picture/", views.avatar, name="avatar"),
    path("profile/addresses/", views.address_list, name="addresses"),
    path("profile/addresses/new/", views.address_edit, name="address_new"),
    path("profile/addresses/<int:pk>/", views.address_edit, name="address_edit"),
    path("profile/addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("profile/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/delete/", views.delete_account, name="delete_account"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("wishlist/", views.wishlist, name="wishlist"),
    path("wishlist/add/<int:product_id>/", views.wishlist_add, name="wishlist_add"),
    path("wishlist/remove/<int:product_id>/", views.wishlist_remove, name="wishlist_remove"),
    path("wishlist/move/<int:product_id>/", views.wishlist_move_to_cart, name="wishlist_move"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_reset_done.html", extra_context={"title": "Check your email"}
        ),
        name="password_reset_done",
    ),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html", extra_context={"title": "Password changed"}
        ),
        name="password_reset_complete",
    ),
]
