"""One error format for every answer that is not a success:
{"code": "...", "message": "...", "fields": {"field": ["what is wrong"]}}."""

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


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
