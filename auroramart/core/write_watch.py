"""Whether a request has written to a database since some point in it: what lets a value read
early in the request (a shopper's header counts, read with the shopper) stand for as long as
nothing the request did can have changed it."""

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

from django.db import connections


class Writes:
    """Notes the first statement on a watched database that is not a plain read. Anything that
    does not begin with SELECT counts as a write: an INSERT, UPDATE or DELETE, and also a
    savepoint or a statement with a WITH clause, which may or may not write; taking those for
    writes costs a second read at worst, never a stale value."""

    def __init__(self):
        self.seen = False

    def __call__(self, execute, sql, params, many, context):
        if not self.seen and sql.lstrip()[:6].upper() != "SELECT":
            self.seen = True
        return execute(sql, params, many, context)


@contextmanager
def watching(databases: Iterable[str]) -> Iterator[Writes]:
    """Writes made through this thread's connections to `databases` while the block runs (every
    statement Django runs passes through the connection's execute wrappers)."""
    writes = Writes()
    with ExitStack() as stack:
        for alias in sorted(databases):
            stack.enter_context(connections[alias].execute_wrapper(writes))
        yield writes
