"""Cross-cutting HTTP concerns: a request id on every request and log line, the security
headers Django does not set itself (Content-Security-Policy), and the stylesheet named in the
headers of every page."""

import functools
import json
import re
import secrets

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpResponseBadRequest
from django.templatetags.static import static
from django.utils.functional import SimpleLazyObject, empty

from .request_context import MEMO_PATH, request_id_var, request_memo

SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Takes the load balancer's X-Request-ID when it looks sane, else makes one;
    puts it on the request, in every log record (through a contextvar) and on
    the response, so a customer's error page and the logs can be matched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # From META and a hex of random bytes: building request.headers and a UUID object cost
        # every request more than the rest of this middleware (#23).
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.id = incoming if SAFE_ID.match(incoming) else secrets.token_hex(16)
        # Not reset afterwards: Django logs 4xx/5xx responses after the middleware
        # chain returns, and those lines must carry the id too. The next request
        # on this thread sets its own.
        request_id_var.set(request.id)
        memo = request_memo.set({MEMO_PATH: request.path})
        try:
            response = self.get_response(request)
        finally:
            request_memo.reset(memo)
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


# Every page's one stylesheet; the templates' <link rel="stylesheet"> names the same file, and
# tests/test_stylesheet_preload.py holds the two together.
STYLESHEET = "css/app.css"


@functools.cache
def stylesheet_preload() -> str:
    # Resolved on first use, not at import: in production the URL carries the file's hash from
    # the manifest that collectstatic wrote.
    return f"<{static(STYLESHEET)}>; rel=preload; as=style"


class StylesheetPreloadMiddleware:
    """Names the stylesheet in a `Link: rel=preload` header on every whole HTML page. The browser
    asks for it as soon as the page's headers arrive, rather than when its parser reaches the
    <link> in the page's head; the sheet is then in hand before the page is parsed, and the
    browser no longer lays the whole page out once without its styles and again with them
    (40–50 ms of a phone's main thread on the home page and the listing, #23). An htmx fragment
    goes into a page that has the sheet already, and gets no header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and "HTTP_HX_REQUEST" not in request.META:
            response["Link"] = stylesheet_preload()
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's message middleware, with the message storage made when a request first adds or
    shows a message. Making it (a cookie signer, a cookie and a session backend) cost every
    request about 15 µs, and most requests do neither (#23). A storage never made has nothing
    to store and nothing to clear, exactly as Django's would."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response
        return super().process_response(request, response)


class InvalidTextMiddleware:
    """Refuses, at the edge and once for every input, text that no field can hold: a NUL
    character (PostgreSQL cannot store one, and a query with one fails) or a lone UTF-16
    surrogate (not encodable as UTF-8). Path, query string, headers, cookies, form fields
    and JSON bodies are checked; the answer is a 400 that names the input (the API's
    middleware turns it into the API's error shape)."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self.bad_input(request)
        if where:
            response = HttpResponseBadRequest(
                f"The request was refused: {where} contains characters that cannot be accepted "
                "(a NUL character or invalid text).",
                content_type="text/plain; charset=utf-8",
            )
            response.invalid_input = where
            return response
        return self.get_response(request)

    @classmethod
    def bad_input(cls, request) -> str:
        if not _clean(request.path_info):
            return "the address"
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            for name, values in request.GET.lists():
                if not _clean(name) or not all(_clean(v) for v in values):
                    return f"the query parameter {_printable(name)!r}"
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                return f"the header {name[5:].replace('_', '-').title()}"
        for name, value in request.COOKIES.items():
            if not _clean(name) or not _clean(value):
                return f"the cookie {_printable(name)!r}"
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return ""
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(cls.FORM_TYPES):
            for name, values in request.POST.lists():
                if not _clean(name) or not all(_clean(v) for v in values):
                    return f"the field {_printable(name)!r}"
            for upload in request.FILES.values():
                if not _clean(upload.name or ""):
                    return "an uploaded file's name"
        elif "json" in content_type:
            data = json_body(request)
            if data is NOT_JSON:
                return ""  # not JSON at all: the API answers that itself
            path = _first_bad_json(data, "")
            if path is not None:
                return f"the JSON field {path or 'body'!r}"
        return ""


NOT_JSON = object()


def json_body(request):
    """The request's JSON body, parsed once per request however many layers look at it
    (NOT_JSON when it does not parse; None when empty)."""
    if not hasattr(request, "_json_body"):
        try:
            request._json_body = json.loads(request.body) if request.body else None
        except ValueError:
            request._json_body = NOT_JSON
    return request._json_body


def _clean(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(name: str) -> str:
    return name.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode()[:40]


def _first_bad_json(value, path: str) -> str | None:
    if isinstance(value, str):
        return None if _clean(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if not _clean(key):
                return _printable(here)
            found = _first_bad_json(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _first_bad_json(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
