"""Cache keys that most requests read, read together in one round trip.

A signed-in page read four or five small keys from Redis one after another: the catalog's
version, the held settings' generation, which recommendation model is current, whether a
slot runs an experiment. Each read costs about 0.1 ms of CPU in redis-py whatever its size
(#23). Modules `share()` such keys once, at import; the first of them a request reads (or the
visitor's session, which the session store reads with them) fetches all of them in one MGET,
and the request keeps the answers (`request_memo`) for the rest of its life.

A request that changes one of them reads it afresh afterwards: writes go through `store()` or
`delete()` here, or call `forget()` after writing it another way (an incr, say). Outside a
request (a task, a command) every read goes to the cache, as before.

A page whose requests read keys of their own (a product page: its live price and stock) names
them for its address with `expect_at()`; from the next request to that address on, they come in
the same round trip as the shared keys, and `get_many()` hands each of them out once, reading
from the cache whatever was not fetched.
"""

from collections.abc import Callable

from django.core.cache import cache

from .request_context import MEMO_PATH, request_memo

_MEMO = "shared-reads"
_OWN = "shared-reads:own"  # what that read found of them, and which it fetched
_shared: list[Callable[[], str]] = []


def share(key: Callable[[], str]) -> None:
    """Read the key `key()` names with the others (a function: a key may change with the release)."""
    if key not in _shared:
        _shared.append(key)


def get(key: str, default=None):
    """`cache.get(key, default)`, from this request's one read of the shared keys when `key`
    is one of them."""
    read = _read(extra=None)
    if read is None or key not in read[0]:
        return cache.get(key, default)
    return read[1].get(key, default)


def get_with(key: str, default=None):
    """`cache.get(key, default)` for a key of this request's own (its session), fetched in the
    same round trip as the shared keys when they have not been read yet."""
    memo = request_memo.get()
    if memo is None or _MEMO in memo:
        return cache.get(key, default)
    asked, found = _read(extra=key)
    asked.discard(key)  # this request's own key is not kept as shared
    return found.pop(key, default)


def expect_at(path: str, keys: list[str]) -> None:
    """Requests for `path` read `keys` with `get_many`: from the next one on, they are fetched
    with the shared keys by whatever reads first (a signed-in product page read its live price
    and stock in a second round trip, its session having been read before its view ran, #23).
    Only the keys' names are kept, by path, in this process: a key a request then does not ask
    for was fetched for nothing (an address that now shows another product), and one it asks
    for that was not fetched is read from the cache as usual."""
    keys_at = tuple(keys)
    if _expected_at.get(path) != keys_at:
        if len(_expected_at) >= _EXPECTED_AT_LIMIT:
            _expected_at.clear()  # a bound, not a policy: the next requests name them again
        _expected_at[path] = keys_at


_expected_at: dict[str, tuple[str, ...]] = {}
_EXPECTED_AT_LIMIT = 4096


def get_many(keys: list[str]) -> dict:
    """`cache.get_many(keys)`, each key named by `expect_at` taken (once) from the round trip that
    read the shared keys: a key that was fetched and not found is a miss, as it was then."""
    memo = request_memo.get()
    own = memo.get(_OWN) if memo is not None else None
    if not own or not own[1]:
        return cache.get_many(keys)
    found, fetched = own
    answers = {key: found.pop(key) for key in keys if key in found}
    rest = [key for key in keys if key not in fetched]
    fetched.difference_update(keys)
    if rest:
        answers |= cache.get_many(rest)
    return answers


def store(key: str, value, timeout) -> None:
    cache.set(key, value, timeout)
    read = _read(extra=None, fetch=False)
    if read is not None and key in read[0]:
        read[1][key] = value


def delete(key: str) -> None:
    cache.delete(key)
    forget(key)


def forget(key: str) -> None:
    """The request wrote `key` some other way: read it from the cache from now on."""
    read = _read(extra=None, fetch=False)
    if read is not None:
        read[0].discard(key)
        read[1].pop(key, None)
    memo = request_memo.get()
    if memo is not None and (own := memo.get(_OWN)):
        own[0].pop(key, None)
        own[1].discard(key)


def _read(extra: str | None, fetch: bool = True) -> tuple[set[str], dict] | None:
    memo = request_memo.get()
    if memo is None:
        return None
    read = memo.get(_MEMO)
    if read is None and fetch:
        keys = [name() for name in _shared]
        expected = set(_expected_at.get(memo.get(MEMO_PATH, ""), ()))
        found = cache.get_many(keys + ([extra] if extra else []) + list(expected))
        if expected:  # handed out by get_many, not kept with the shared keys
            memo[_OWN] = ({key: found.pop(key) for key in expected if key in found}, expected)
        read = memo[_MEMO] = (set(keys) | ({extra} if extra else set()), found)
    return read
