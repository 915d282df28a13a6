"""One error format for every answer under /api/v1/ that is not a success: RFC 9457 problem
details (`application/problem+json`), with the shop's own members beside the standard ones:

    {"type": "/api/v1/problems/payment_failed", "title": "Payment Required", "status": 402,
     "detail": "Your card was declined.", "instance": "/api/v1/checkout",
     "code": "payment_failed", "message": "Your card was declined.", "fields": {}}

`type` names the kind of problem and `code` is its last part (stable, for programs to branch
on); `detail` says what happened, for people; `fields` holds each invalid field's messages.
`message` repeats `detail` for clients written against the shape before problem details."""

from http import HTTPStatus

from ninja import Field, Schema

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "/api/v1/problems/"


class ErrorOut(Schema):
    """A problem (RFC 9457), with the shop's `code`, `message` and `fields` members."""

    type: str = Field(description="A URI reference naming the kind of problem: `/api/v1/problems/<code>`")
    title: str = Field(description="The HTTP status's phrase")
    status: int
    detail: str = Field(description="What went wrong, for people")
    instance: str = Field(description="The path of the request that had the problem")
    code: str = Field(description="The kind of problem, for programs to branch on")
    message: str = Field(description="The same as `detail`; kept for clients of the earlier shape")
    fields: dict[str, list[str]] = Field({}, description="Each invalid field's messages")


def problem(status: int, code: str, detail: str, fields: dict | None = None, instance: str = "") -> dict:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return {
        "type": f"{TYPE_PREFIX}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "message": detail,
        "fields": fields or {},
    }


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        self.headers = headers or {}


def bad_request(message: str, fields: dict | None = None, code: str = "invalid") -> ApiError:
    return ApiError(400, code, message, fields)


def not_found(what: str = "That") -> ApiError:
    return ApiError(404, "not_found", f"{what} does not exist.")


def form_fields(form) -> dict[str, list[str]]:
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}
