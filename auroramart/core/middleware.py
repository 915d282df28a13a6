"""Cross-cutting HTTP concerns: a request id on every request and log line, and
the security headers Django does not set itself (Content-Security-Policy)."""

import re
import uuid

from django.conf import settings

from .request_context import request_id_var

SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Takes the load balancer's X-Request-ID when it looks sane, else makes one;
    puts it on the request, in every log record (through a contextvar) and on
    the response, so a customer's error page and the logs can be matched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if SAFE_ID.match(incoming) else uuid.uuid4().hex
        # Not reset afterwards: Django logs 4xx/5xx responses after the middleware
        # chain returns, and those lines must carry the id too. The next request
        # on this thread sets its own.
        request_id_var.set(request.id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class ContentSecurityPolicyMiddleware:
    """Sets the policy from settings.CONTENT_SECURITY_POLICY: scripts only from our
    own origin, never inline (the templates carry none; data travels as JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(
            f"{name} {value}".strip() for name, value in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        if settings.PERMISSIONS_POLICY:
            response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
