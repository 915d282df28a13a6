"""Where the benchmarks find PostgreSQL: one home for the host and the URL every bench script
gives the shop.

TCP to 127.0.0.1, as every round of #23 has measured, unless PGHOST says otherwise: a host
name, or the directory of a Unix socket (`PGHOST=/var/run/postgresql`), as the README's
Production section suggests for a database on the shop's own host. bench/db_transport.py
measures what a round trip costs each way."""

import os
from pathlib import Path
from urllib.parse import quote, unquote

PORT = 5432
# Debian's, and PostgreSQL's own default (only looked at: nothing is written there).
SOCKET_DIRS = ("/var/run/postgresql", "/tmp")  # noqa: S108


def socket_dir(port: int = PORT) -> str | None:
    """The directory of this host's PostgreSQL socket for `port`, if it has one."""
    return next((d for d in SOCKET_DIRS if Path(d, f".s.PGSQL.{port}").exists()), None)


def host() -> str:
    return os.environ.get("PGHOST") or "127.0.0.1"


def url(database: str) -> str:
    """The shop's DATABASE_URL for `database` as user postgres (a socket's directory quoted)."""
    return f"postgres://postgres@{quote(host(), safe='')}:{PORT}/{database}"


def connection(database_url: str) -> str:
    """How a DATABASE_URL reaches its server, for a report: "Unix socket <dir>" or "TCP <host>"."""
    if not database_url.startswith("postgres"):
        return database_url.split(":", 1)[0]
    server = unquote(database_url.split("@", 1)[1].rsplit("/", 1)[0].rsplit(":", 1)[0])
    return f"Unix socket {server}" if server.startswith("/") else f"TCP {server}"
