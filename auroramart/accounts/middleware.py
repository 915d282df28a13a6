"""The request's user: who the session says, with their second factor, resolved once."""

from django.contrib.auth import get_user
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.exceptions import ImproperlyConfigured
from django_otp.middleware import OTPMiddleware

from auroramart.core.write_watch import watching

from .backends import HEADER_COUNTS_READ
from .selectors import header_counts_databases


class UserMiddleware(AuthenticationMiddleware):
    """What Django's AuthenticationMiddleware and django-otp's OTPMiddleware give a request:
    `request.user` (with django-otp's `otp_device` and `is_verified()`) and `request.auser()`.

    Each of those middlewares wrapped the user in a lazy object, so every `request.user.x` went
    through two proxies, each failing one attribute lookup before delegating (about 0.2 ms of a
    signed-in cart page); a third middleware then unwrapped them (#23). The staff-session check
    after this one reads the user on every request anyway, so the user is resolved here at once,
    in one middleware instead of three (#23, eleventh round). Who is signed in is Django's
    `get_user`, and whether their second factor verified them is django-otp's own check: this
    class only calls them. The header counts read with a shopper hold while the request writes
    nothing they could depend on."""

    async_capable = False  # a sync stack (WSGI); under ASGI Django would adapt it

    def __init__(self, get_response):
        super().__init__(get_response)
        self._second_factor = OTPMiddleware(get_response)

    def __call__(self, request):
        if not hasattr(request, "session"):
            raise ImproperlyConfigured("UserMiddleware needs the session middleware before it.")
        user = self._second_factor._verify_user_sync(request, get_user(request))
        request.user = user

        async def auser():
            return user

        request.auser = auser
        counts = user.__dict__.pop(HEADER_COUNTS_READ, None)
        if counts is None:
            return self.get_response(request)
        # The shopper's header counts came with them (accounts/backends.py): they stand until
        # the request writes where they are kept (a cart line, a notification read), and are
        # read again after that (accounts.selectors.shoppers_header_counts).
        with watching(header_counts_databases()) as writes:
            request.header_counts_read = (user.pk, counts, writes)
            return self.get_response(request)
