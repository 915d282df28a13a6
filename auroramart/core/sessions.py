"""Sessions kept in the cache and written through to the database (Django's cached_db), read
in the same round trip as the keys every request shares (core/shared_reads.py, #23), and held
in each process with them, Redis saying when one changes (core/key_mirror.py): a shopper's
signed-in page reads nothing from Redis while their session stays as it is. Signing out, on any
node, deletes the session in Redis, and that drops it everywhere before the next request."""

from django.contrib.sessions.backends import cached_db

from . import key_mirror, shared_reads


class SessionStore(cached_db.SessionStore):
    def load(self):
        data = shared_reads.get_with(self.cache_key)
        if data is not None:
            return data
        return super().load()  # not in the cache (evicted, or Redis down): Django's way, from the database


key_mirror.mirror(SessionStore.cache_key_prefix)
