from contextvars import ContextVar

# The id of the request being served, for log records (see RequestIdMiddleware).
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# Values read at most once while one request is served (the catalog version): set to a fresh
# dict as each request starts and cleared as it ends (RequestIdMiddleware); None elsewhere.
request_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)
# A request's memo starts with the request's path under this key.
MEMO_PATH = "request:path"
