"""Session security for staff: an idle timeout and an absolute timeout."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone

from auroramart.staff.models import StaffSession


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = time.time()
            started = request.session.get("staff_login_at", now)
            seen = request.session.get("staff_seen_at", now)
            if now - seen > settings.STAFF_IDLE_TIMEOUT or now - started > settings.STAFF_ABSOLUTE_TIMEOUT:
                key = request.session.session_key
                logout(request)
                StaffSession.objects.filter(session_key=key).delete()
                messages.info(request, "Your staff session timed out. Please sign in again.")
                return redirect(f"{settings.ADMIN_PANEL_URL}login/")
            if now - seen > 60:  # write at most once a minute
                StaffSession.objects.filter(session_key=request.session.session_key).update(
                    last_seen_at=timezone.now()
                )
                request.session["staff_seen_at"] = now
            elif "staff_seen_at" not in request.session:
                request.session["staff_seen_at"] = now
        return self.get_response(request)
