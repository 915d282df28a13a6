"""Signing in, and who a session belongs to.

Django's ModelBackend reads a session's user on every request with an ORM query that cost more
to build than to run (about 0.37 ms of a signed-in page's 2, #23); this backend reads the same
row in one constant statement (core.rows). Everything else is ModelBackend's.

Sessions made before it was listed name ModelBackend, which stays listed second so they stay
signed in. A sign-in with a username and password is decided here alone: wrong credentials stop
the search (PermissionDenied), so a password is never checked twice.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from auroramart.core.rows import by_pk

# What a sign-in names as its backend (settings.AUTHENTICATION_BACKENDS lists it first).
ACCOUNT_BACKEND = f"{__name__}.AccountBackend"


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            raise PermissionDenied  # not ModelBackend's turn: it would check the same password
        return user

    def get_user(self, user_id):
        try:
            found = by_pk(get_user_model(), [int(user_id)])
        except (TypeError, ValueError):
            return None
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
