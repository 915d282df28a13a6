"""Sessions kept in the cache and written through to the database (Django's cached_db), read
in the same round trip as the keys every request shares (core/shared_reads.py, #23)."""

from django.contrib.sessions.backends import cached_db

from . import shared_reads


class SessionStore(cached_db.SessionStore):
    def load(self):
        data = shared_reads.get_with(self.cache_key)
        if data is not None:
            return data
        return super().load()  # not in the cache (evicted, or Redis down): Django's way, from the database
