"""Everything under /api/v1/ answers errors as problem details (api/errors.py), whoever
produced the error:
Django's URL resolver (404), a view that does not take the method (405), the sign-in
throttle or the edge's input check (429, 400), a database outage (503) or a bug (500).
Request bodies must be JSON objects: every operation of the API takes one."""

from corsheaders.middleware import CorsMiddleware
from django.db import DatabaseError
from django.http import JsonResponse

from auroramart.core.middleware import NOT_JSON, json_body

from .errors import PROBLEM_CONTENT_TYPE, problem
from .throttling import API_LIMIT

PREFIX = "/api/v1/"
CODES = {
    400: ("bad_request", "The request is not valid."),
    401: ("unauthenticated", "Sign in: send a valid token as `Authorization: Bearer <token>`."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("too_large", "The request is too large."),
    429: ("rate_limited", "Too many requests; wait a moment and try again."),
    500: ("server_error", "Something went wrong on our side; it has been logged."),
    503: ("unavailable", "The shop is briefly unavailable; try again in a moment."),
}
KEPT_HEADERS = (
    "Allow",
    "Retry-After",
    "X-Request-ID",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)


def error_response(
    status: int, code: str = "", message: str = "", fields: dict | None = None, instance: str = ""
) -> JsonResponse:
    default_code, default_message = CODES.get(status, ("error", "The request failed."))
    return JsonResponse(
        problem(status, code or default_code, message or default_message, fields, instance=instance),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


class ApiCorsMiddleware(CorsMiddleware):
    """django-cors-headers, asked about the API's requests alone: CORS_URLS_REGEX confines it to
    the API, and for every other request the library still matched that regex and sent a signal
    (2–3 µs of every page, #23, twenty-first round)."""

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _with_rate_limit(request, response):
        """Where the client stands against the tightest rate limit this request met."""
        standing = getattr(request, "rate_limit", None) or API_LIMIT.peek(request)
        response["RateLimit-Limit"] = str(standing.limit)
        response["RateLimit-Remaining"] = str(standing.remaining)
        response["RateLimit-Reset"] = str(standing.reset)
        return response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        refused = self._refuse_body(request)
        if refused is not None:
            return refused
        response = self._with_rate_limit(request, self.get_response(request))
        if response.status_code < 400 or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        where = getattr(response, "invalid_input", "")
        converted = error_response(
            response.status_code,
            code="invalid_text" if where else "",
            message=f"{where[:1].upper()}{where[1:]} contains a NUL character or invalid text."
            if where
            else "",
            instance=request.path,
        )
        for name in KEPT_HEADERS:
            if name in response:
                converted[name] = response[name]
        return converted

    def process_exception(self, request, exception):
        if request.path_info.startswith(PREFIX) and isinstance(exception, DatabaseError):
            response = error_response(503, instance=request.path)
            response["Retry-After"] = "5"
            return response
        return None

    @staticmethod
    def _refuse_body(request):
        if request.method not in ("POST", "PUT", "PATCH") or "json" not in request.META.get(
            "CONTENT_TYPE", ""
        ):
            return None
        data = json_body(request)
        if data is NOT_JSON:
            return error_response(
                400, "invalid_json", "The request body is not valid JSON.", instance=request.path
            )
        if data is not None and not isinstance(data, dict):
            return error_response(
                400, "invalid_body", "The request body must be a JSON object.", instance=request.path
            )
        return None
