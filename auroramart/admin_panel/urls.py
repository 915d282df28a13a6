from django.urls import path

from .views import audit, auth, customers, dashboard, loyalty, orders, products, promotions, reviews

app_name = "admin_panel"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.staff_login, name="login"),
    path("logout/", auth.staff_logout, name="logout"),
    path("password-reset/", auth.StaffPasswordResetView.as_view(), name="password_reset"),
    path("sessions/", auth.sessions, name="sessions"),
    path("staff/", auth.staff_list, name="staff"),
    path("staff/<int:pk>/", auth.staff_update, name="staff_update"),
    path("login-attempts/", auth.login_attempts, name="login_attempts"),
    path("customers/", customers.customer_list, name="customers"),
    path("customers/export/", customers.export_customers, name="customers_export"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer"),
    path("customers/<int:pk>/points/", customers.adjust_points, name="customer_points"),
    path("customers/<int:pk>/active/", customers.set_active, name="customer_active"),
    path("customers/<int:pk>/message/", customers.message_customer, name="customer_message"),
    path("products/", products.product_list, name="products"),
    path("products/low-stock/", products.low_stock, name="low_stock"),
    path("products/bulk-price/", products.bulk_price, name="bulk_price"),
    path("products/import/", products.product_import, name="product_import"),
    path("products/export/", products.product_export, name="product_export"),
    path("products/<int:pk>/", products.product_detail, name="product"),
    path("products/<int:pk>/stock/", products.stock_adjust, name="product_stock"),
    path("products/<int:pk>/images/", products.image_upload, name="product_image"),
    path(
        "products/<int:pk>/images/<int:image_id>/primary/",
        products.image_primary,
        name="product_image_primary",
    ),
    path("orders/", orders.order_list, name="orders"),
    path("orders/<str:number>/", orders.order_detail, name="order"),
    path("orders/<str:number>/status/", orders.order_status, name="order_status"),
    path("orders/<str:number>/return/", orders.order_return, name="order_return"),
    path("orders/<str:number>/note/", orders.order_note, name="order_note"),
    path("reviews/", reviews.review_list, name="reviews"),
    path("reviews/<int:pk>/", reviews.review_moderate, name="review_moderate"),
    path("promotions/coupons/", promotions.coupon_list, name="coupons"),
    path("promotions/coupons/<int:pk>/toggle/", promotions.coupon_toggle, name="coupon_toggle"),
    path("loyalty/", loyalty.loyalty_settings, name="loyalty"),
    path("loyalty/tiers/<int:pk>/", loyalty.tier_update, name="tier_update"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export/", audit.audit_export, name="audit_export"),
]
