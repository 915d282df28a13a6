"""What one round trip to PostgreSQL costs over TCP and over its Unix socket, when the database
runs on the shop's own host: the CPU of this client (Python and psycopg, as a gunicorn thread
spends it) and of the server process that answers, per statement. Every page and every order
is made of such round trips (a placement makes about forty), so this is the price of the
transport in each of them (#23, twentieth round; README: Production).

    python bench/db_transport.py [--statements 20000] [--rounds 3] [--database postgres]

Needs a local PostgreSQL that accepts user postgres without a password on 127.0.0.1:5432 and
on its socket (Debian's: /var/run/postgresql), as the bench's database does."""

import argparse
import resource
import statistics
import time

import psycopg
from load import cpu_seconds  # the server process's CPU, as the page benchmarks read it
from postgres import SOCKET_DIRS, socket_dir


def measure(host: str, database: str, statements: int) -> dict[str, float]:
    """Microseconds of CPU per statement: this client's and the server's, and wall time."""
    with psycopg.connect(host=host, port=5432, user="postgres", dbname=database, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        query = "SELECT oid, relname, relkind FROM pg_class WHERE oid = %s"  # a primary-key read
        oids = [row[0] for row in conn.execute("SELECT oid FROM pg_class ORDER BY oid LIMIT 200")]
        for oid in oids:  # prepared (as the shop's are) and warm before the clock starts
            conn.execute(query, (oid,), prepare=True).fetchone()
        before, server, wall = resource.getrusage(resource.RUSAGE_SELF), cpu_seconds(pid), time.perf_counter()
        for i in range(statements):
            conn.execute(query, (oids[i % len(oids)],), prepare=True).fetchone()
        after = resource.getrusage(resource.RUSAGE_SELF)
        client = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {
            "client_us": client / statements * 1e6,
            "server_us": (cpu_seconds(pid) - server) / statements * 1e6,
            "wall_us": (time.perf_counter() - wall) / statements * 1e6,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="postgres")
    args = parser.parse_args()
    directory = socket_dir()
    if directory is None:
        raise SystemExit(f"no PostgreSQL socket for port 5432 in {', '.join(SOCKET_DIRS)}")
    transports = {"TCP 127.0.0.1": "127.0.0.1", f"socket {directory}": directory}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in transports}
    for round_ in range(args.rounds):  # alternated, so a slow spell of the machine hits both
        for name in list(transports)[:: 1 if round_ % 2 == 0 else -1]:
            runs[name].append(measure(transports[name], args.database, args.statements))
    print(f"{'per statement, median of ' + str(args.rounds):30s} client CPU  server CPU   both   wall")
    for name, results in runs.items():
        median = {k: statistics.median(r[k] for r in results) for k in results[0]}
        both = median["client_us"] + median["server_us"]
        print(
            f"{name:30s} {median['client_us']:8.1f} µs {median['server_us']:8.1f} µs "
            f"{both:6.1f} µs {median['wall_us']:6.1f} µs"
        )


if __name__ == "__main__":
    main()
