"""Signing in, and who a session belongs to.

Django's ModelBackend reads a session's user on every request with an ORM query that cost more
to build than to run (about 0.37 ms of a signed-in page's 2, #23); this backend reads the same
row in one constant statement (core.rows), and with it the two numbers the shopper's header
shows (their cart's count and unread notifications: a second statement on every page before,
#23). Everything else is ModelBackend's.

Sessions made before it was listed name ModelBackend, which stays listed second so they stay
signed in. A sign-in with a username and password is decided here alone: wrong credentials stop
the search (PermissionDenied), so a password is never checked twice.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from .selectors import user_with_header_counts

# What a sign-in names as its backend (settings.AUTHENTICATION_BACKENDS lists it first).
ACCOUNT_BACKEND = f"{__name__}.AccountBackend"
# Where the header counts read with a session's user wait for the request's middleware
# (accounts/middleware.py), which alone decides for how long they hold.
HEADER_COUNTS_READ = "_header_counts_read"


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            raise PermissionDenied  # not ModelBackend's turn: it would check the same password
        return user

    def get_user(self, user_id):
        try:
            user, counts = user_with_header_counts(int(user_id))
        except (TypeError, ValueError):
            return None
        if user is None or not self.user_can_authenticate(user):
            return None
        setattr(user, HEADER_COUNTS_READ, counts)
        return user
