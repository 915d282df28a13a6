from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from auroramart.catalog.models import ProductReview
from auroramart.catalog.services import moderate_review
from auroramart.core.client import actor_for
from auroramart.core.htmx import is_htmx

from ..decorators import panel_permission


@panel_permission("moderate_reviews")
def review_list(request):
    status = request.GET.get("status", "pending")
    order = {"oldest": "created_at", "rating": "rating", "-rating": "-rating"}.get(
        request.GET.get("sort"), "-created_at"
    )
    reviews = ProductReview.objects.select_related("product", "user").order_by(order, "pk")
    if status in ProductReview.Status.values:
        reviews = reviews.filter(status=status)
    page = Paginator(reviews, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "admin_panel/reviews.html",
        {"page": page, "status": status, "statuses": ProductReview.Status.choices, "title": "Reviews"},
    )


@panel_permission("moderate_reviews")
@require_POST
def review_moderate(request, pk):
    review = get_object_or_404(ProductReview, pk=pk)
    status = request.POST.get("status")
    if status not in ProductReview.Status.values:
        messages.error(request, "Choose approve or reject.")
        return redirect("admin_panel:reviews")
    moderate_review(review=review, status=status, actor=actor_for(request))
    if is_htmx(request):  # inline: the row says what happened
        return HttpResponse(
            f'<li class="bg-base-100 rounded-box p-4 text-sm">Review {review.get_status_display().lower()}.</li>'
        )
    messages.success(request, f"Review {review.get_status_display().lower()}.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/admin-panel/") else "admin_panel:reviews")
