from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("checkout/checkout/", views.checkout, name="checkout"),
    path("checkout/checkout/summary/", views.checkout_summary, name="checkout_summary"),
    path("checkout/payment/<str:token>/", views.payment_return, name="payment_return"),
    path("orders/", views.order_list, name="list"),
    path("order-status/", views.order_status, name="status"),
    path("orders/guest/<str:token>/", views.guest_order, name="guest"),
    path("orders/claim/<str:token>/", views.guest_claim, name="guest_claim"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/guest/<str:token>/invoice.pdf", views.guest_invoice_pdf, name="guest_invoice_pdf"),
    path("orders/<str:number>/invoice/", views.invoice, name="invoice"),
    path("orders/<str:number>/invoice.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("orders/<str:number>/cancel/", views.cancel, name="cancel"),
    path("orders/<str:number>/return/", views.request_return, name="return"),
    path("orders/<str:number>/credit-notes/<str:credit>/", views.credit_note, name="credit_note"),
    path("orders/<str:number>/credit-notes/<str:credit>.pdf", views.credit_note_pdf, name="credit_note_pdf"),
]
