"""The JSON API at /api/v1/: OpenAPI 3 schema at /api/v1/openapi.json, docs at /api/v1/docs."""

import json
import logging

from django.db import DatabaseError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from . import account, catalog, loyalty, shopping, staff
from .caching import CACHED_READS
from .errors import PROBLEM_CONTENT_TYPE, ApiError, problem
from .throttling import API_LIMIT

logger = logging.getLogger(__name__)


class ShopApi(NinjaAPI):
    """The API, whose schema also declares the answers the edge can give to any operation
    (api/middleware.py, core/middleware.py): 400 for input no field can hold (a NUL
    character in any parameter, header or body), 503 while the database is unreachable."""

    EDGE_RESPONSES = {
        "400": "The request is not valid: a field (named in `fields`), or input no field can hold.",
        "429": "Too many requests: wait `Retry-After` seconds (the `RateLimit-*` headers say where you stand).",
        "503": "The shop is briefly unavailable (the database); retry after `Retry-After` seconds.",
    }

    # What a client (and schemathesis's stateful tests) can do next with what an answer names:
    # (method, path, status) -> {link name: (method, path, {parameter: runtime expression})}.
    LINKS = {
        ("post", "/api/v1/checkout", 201): {
            "GetOrder": ("get", "/api/v1/orders/{number}", {"number": "$response.body#/number"}),
            "CancelOrder": ("post", "/api/v1/orders/{number}/cancel", {"number": "$response.body#/number"}),
        },
        ("post", "/api/v1/me/addresses", 201): {
            "RemoveAddress": (
                "delete",
                "/api/v1/me/addresses/{address_id}",
                {"address_id": "$response.body#/id"},
            ),
        },
        ("post", "/api/v1/cart/items", 200): {
            "ChangeLine": (
                "patch",
                "/api/v1/cart/items/{variant_id}",
                {"variant_id": "$response.body#/lines/0/variant_id"},
            ),
        },
    }

    # Operations whose 201 names the new resource in `Location`.
    CREATED_LOCATIONS = {
        "/api/v1/checkout": "The new order: `GET /api/v1/orders/{number}`.",
        "/api/v1/me/addresses": "The new address: `GET /api/v1/me/addresses/{address_id}`.",
    }

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["info"]["license"] = {
            "name": "Proprietary: AuroraMart's terms of use",
            "identifier": "LicenseRef-AuroraMart",
        }
        for scheme in schema.get("components", {}).get("securitySchemes", {}).values():
            scheme["description"] = (
                "An access token from POST /auth/token, valid 60 minutes (`expires_at`). When a "
                "call answers 401 `token_expired`, trade the refresh token at POST /auth/refresh "
                "for a new pair (rotation: each refresh token works once)."
            )
        error = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                for parameter in operation.get("parameters", []):
                    _flatten(parameter, schema.get("components", {}).get("schemas", {}))
                responses = operation.setdefault("responses", {})
                declared = {str(status) for status in responses}
                for status, description in self.EDGE_RESPONSES.items():
                    if status not in declared:
                        responses[int(status)] = {"description": description, "content": error}
                if method == "get" and path in CACHED_READS:
                    _declare_caching(operation, CACHED_READS[path])
                # Operations without a token are public: say so, rather than leave it unsaid.
                operation.setdefault("security", [])
                created = operation["responses"].get(201)
                if created is not None and path in self.CREATED_LOCATIONS:
                    created.setdefault("headers", {})["Location"] = {
                        "description": self.CREATED_LOCATIONS[path],
                        "schema": {"type": "string"},
                    }
                # Every answer says where the client stands against the rate limit.
                for response in responses.values():
                    response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
                # Every error is a problem (RFC 9457), served as application/problem+json.
                for status, response in responses.items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        self._link(schema)
        _drop_unused_components(schema)
        return schema

    def _link(self, schema: dict) -> None:
        paths = schema["paths"]
        for (method, path, status), links in self.LINKS.items():
            response = (
                paths[path][method]["responses"].get(status) or paths[path][method]["responses"][str(status)]
            )
            response["links"] = {
                name: {"operationId": paths[target][verb]["operationId"], "parameters": parameters}
                for name, (verb, target, parameters) in links.items()
            }


def _drop_unused_components(schema: dict) -> None:
    """Ninja also lists the models it spread into query parameters; nothing refers to them."""
    components = schema.get("components", {}).get("schemas", {})
    while True:
        text = json.dumps(schema)  # a component's own definition never names itself
        unused = [name for name in components if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del components[name]


def _flatten(parameter: dict, components: dict) -> None:
    """A parameter typed by one enum comes out of ninja as `allOf: [enum]` beside its default,
    which generated clients read as an object: name the enum (its component, when there is
    one) instead."""
    schema = parameter.get("schema", {})
    if len(schema.get("allOf", [])) == 1:
        inner = schema.pop("allOf")[0]
        title = inner.get("title")
        if title in components and components[title].get("enum") == inner.get("enum"):
            inner = {"$ref": f"#/components/schemas/{title}"}
        parameter["schema"] = {**inner, **schema}


RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "description": "Requests allowed in the window (IETF RateLimit header fields).",
        "schema": {"type": "integer"},
    },
    "RateLimit-Remaining": {"description": "Requests left in the window.", "schema": {"type": "integer"}},
    "RateLimit-Reset": {
        "description": "Seconds until the window frees a request.",
        "schema": {"type": "integer"},
    },
}


def _declare_caching(operation: dict, policy: str) -> None:
    """A cacheable read (api/caching.py): its ETag and Cache-Control, If-None-Match, and 304."""
    operation.setdefault("parameters", []).append(
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "The `ETag` of a copy you hold: 304 with no body while it is current.",
        }
    )
    operation["parameters"].append(
        {
            "name": "If-Modified-Since",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "The `Last-Modified` of a copy you hold (used when no `If-None-Match` is sent).",
        }
    )
    ok = operation["responses"].get(200) or operation["responses"].get("200")
    if ok is not None:
        ok.setdefault("headers", {}).update(
            {
                "ETag": {"description": "The version of this body.", "schema": {"type": "string"}},
                "Last-Modified": {
                    "description": "When this body was first served (an HTTP date).",
                    "schema": {"type": "string"},
                },
                "Cache-Control": {"description": f"`{policy}`", "schema": {"type": "string"}},
            }
        )
    operation["responses"][304] = {
        "description": "Not modified: the copy named by `If-None-Match` is current.",
        "headers": {"ETag": {"description": "The version of the body.", "schema": {"type": "string"}}},
    }


api = ShopApi(
    title="AuroraMart API",
    version="1",
    description=(
        "Browse, buy and manage orders. Sign in with POST /auth/token and send the token as "
        "`Authorization: Bearer <token>`. Every error is an RFC 9457 problem "
        "(`application/problem+json`: type, title, status, detail, instance) with the shop's "
        "`code` (what kind of problem, for programs), `message` and `fields` (each invalid field's "
        "messages)."
    ),
    urls_namespace="api-v1",
    # Relative to where the schema is served: the shop that serves it is the server.
    servers=[{"url": "/", "description": "The shop serving this schema"}],
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[API_LIMIT],
)


def _error(request, status: int, code: str, message: str, fields=None):
    response = api.create_response(
        request, problem(status, code, message, fields, instance=request.path), status=status
    )
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


@api.exception_handler(ApiError)
def api_error(request, exc: ApiError):
    response = _error(request, exc.status, exc.code, exc.message, exc.fields)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [
            str(part)
            for part in error.get("loc", [])
            if part not in ("body", "query", "path", "header", "payload", "params")
        ]
        fields.setdefault(".".join(loc) or "request", []).append(error.get("msg", "Invalid value."))
    return _error(request, 400, "invalid", "Some fields are not valid.", fields)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(
        request, 401, "unauthenticated", "Sign in: send a valid token as `Authorization: Bearer <token>`."
    )


@api.exception_handler(Throttled)
def throttled(request, exc: Throttled):
    response = _error(request, 429, "rate_limited", "Too many requests; wait a moment and try again.")
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(DatabaseError)
def database_unavailable(request, exc):
    logger.exception("database error under the API")
    response = _error(request, 503, "unavailable", "The shop is briefly unavailable; try again in a moment.")
    response["Retry-After"] = "5"
    return response


@api.exception_handler(Exception)
def server_error(request, exc):
    """Never a traceback, in demo mode included: the error is logged with the request id."""
    logger.exception("unhandled error under the API")
    return _error(request, 500, "server_error", "Something went wrong on our side; it has been logged.")


api.add_router("", catalog.router)
api.add_router("", account.router)
api.add_router("", shopping.router)
api.add_router("", loyalty.router)
api.add_router("", staff.router)
