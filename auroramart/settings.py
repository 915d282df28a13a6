"""AuroraMart settings.

Everything that differs between a laptop demo and production is read from the
environment; with nothing set, the shop runs on a SQLite file and a local-memory
cache (see the settings table in README.md).
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """The variable's value; unset and empty both mean the default."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Demo mode creates the well-known demo accounts; never on in production.
DEMO_MODE = env_bool("AURORAMART_DEMO", DEBUG)

_DEV_SECRET = "insecure-dev-key-only-for-local-demo-never-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The shop's address as customers reach it: the links in emails start with it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_countries",
    "corsheaders",
    "auroramart.core",
    "auroramart.shipping",
    "auroramart.tax",
    "auroramart.accounts",
    "auroramart.catalog",
    "auroramart.inventory",
    "auroramart.promotions",
    "auroramart.payments",
    "auroramart.cart",
    "auroramart.orders",
    "auroramart.loyalty",
    "auroramart.search",
    "auroramart.recommendations",
    "auroramart.analytics",
    "auroramart.campaigns",
    "auroramart.api",
    "ninja",  # serves the API docs' own static files (no CDN)
    "auroramart.staff",
    "auroramart.admin_panel",
    "auroramart.storefront",
    "auroramart.pages",
    "auroramart.demo",
]

MIDDLEWARE = [
    "auroramart.core.middleware.RequestIdMiddleware",
    # Read replicas, when configured: which reads a replica may serve, and read-your-writes.
    "auroramart.core.db_routing.ReplicaRoutingMiddleware",
    # CORS for the API, for the origins named in CORS_ALLOWED_ORIGINS only (none by default);
    # django-cors-headers, asked about the API's requests alone (api/middleware.py); outside the
    # API's error middleware, so error answers carry the headers too.
    "auroramart.api.middleware.ApiCorsMiddleware",
    # Pages, JSON and CSV compressed for clients that accept gzip (a phone on 4G waits for every
    # byte of the page and its CSS). Outside every middleware that reads or rewrites a body, so
    # ETags are computed on the plain body; Django adds random bytes against BREACH. Static files
    # collected for production are already compressed and pass through untouched.
    "django.middleware.gzip.GZipMiddleware",
    # Outermost after the request id: whatever answers an /api/v1/ request with an error,
    # the API's JSON error shape comes out (api/middleware.py).
    "auroramart.api.middleware.ApiErrorMiddleware",
    # ETag, Cache-Control and 304 for the API's cacheable reads (api/caching.py).
    "auroramart.api.caching.ApiConditionalGetMiddleware",
    # NUL and other text no field can hold is refused once, here, for every input.
    "auroramart.core.middleware.InvalidTextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "auroramart.core.middleware.ContentSecurityPolicyMiddleware",
    # Outside the middleware that answers anonymous pages itself, so held pages carry it too.
    "auroramart.core.middleware.StylesheetPreloadMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the middleware that answers anonymous pages itself (catalog/middleware.py).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A sessionless visitor's home page or product list, when held whole (catalog/middleware.py).
    "auroramart.catalog.middleware.AnonymousPageMiddleware",
    # Django's authentication and django-otp's (request.user.is_verified(): signed in with a
    # second factor) in one step, the user itself rather than two lazy proxies (accounts/middleware.py).
    "auroramart.accounts.middleware.UserMiddleware",
    # Django's, with the message storage made on first use (core/middleware.py).
    "auroramart.core.middleware.LazyMessageMiddleware",
    "auroramart.admin_panel.middleware.StaffSessionMiddleware",
]

ROOT_URLCONF = "auroramart.urls"
# The wiring of domain events and extension points (core/events.py): one function, run once at start-up.
EVENT_WIRING = "auroramart.wiring.connect"
WSGI_APPLICATION = "auroramart.wsgi.application"

# Form widgets are rendered with Jinja2: Django's own templates for them, several times faster
# than the Django template language (the checkout's country list alone, 250 options, took more
# than half of the checkout page's CPU time). Pages stay Django templates.
FORM_RENDERER = "django.forms.renderers.Jinja2"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "auroramart" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "auroramart.storefront.context_processors.shop",
                "auroramart.admin_panel.context_processors.panel",
            ],
            "builtins": ["auroramart.core.templatetags.form_fields", "auroramart.core.templatetags.urls"],
        },
    },
    # The cart's and the checkout's bodies, rendered per shopper (core/jinja.py says why).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "auroramart" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "auroramart.core.jinja.environment"},
    },
]

# --- database -----------------------------------------------------------------
# One primary (DATABASE_URL) takes every write; DATABASE_REPLICA_URLS names read replicas
# that the router (core/db_routing.py) sends catalogue, search and analytics reads to.
# How connections are pooled (docs/scale-out.md): DB_POOL=true is psycopg's pool in each
# process; PGBOUNCER=true means DATABASE_URL points at PgBouncer in transaction mode.
PGBOUNCER = env_bool("PGBOUNCER", False)


def _database(url: str) -> dict:
    settings = dj_database_url.parse(
        url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    if settings["ENGINE"] != "django.db.backends.postgresql":
        return settings
    # Django's, with a health check that reads the socket instead of sending SELECT 1 (core/postgresql).
    settings["ENGINE"] = "auroramart.core.postgresql"
    if PGBOUNCER:
        # A transaction-mode pooler hands each transaction any server connection: a cursor
        # that outlives its transaction (server-side cursors) would vanish under it.
        settings["DISABLE_SERVER_SIDE_CURSORS"] = True
        return settings
    if env_bool("DB_PREPARED_STATEMENTS", True):
        # Parameters sent apart from the statement, and a statement a connection has run five
        # times prepared: PostgreSQL then plans it once per connection, not on every run.
        settings.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    if env_bool("DB_POOL", False):
        # psycopg's connection pool inside each process: connections are reused
        # across requests and threads without a round trip to open them.
        settings["CONN_MAX_AGE"] = 0  # the pool owns connection lifetime
        settings.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 10),
            "timeout": 10,
        }
    return settings


DATABASES = {"default": _database(env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", ""), start=1):
    DATABASES[f"replica{_number}"] = _database(_url)
READ_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["auroramart.core.db_routing.ReplicaRouter"] if READ_REPLICAS else []
# How long a client that wrote reads from the primary until the replica has replayed its write.
READ_YOUR_WRITES_SECONDS = env_int("READ_YOUR_WRITES_SECONDS", 600)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a writer commits; the busy timeout turns
    # brief lock contention into a wait instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and sessions ----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache that logs and carries on when Redis is down.
            "BACKEND": "auroramart.core.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "auroramart"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "auroramart",
        }
    }
# With Redis, sessions are read from the cache and written through to the
# database, so they survive Redis going down; without it, the database alone.
# The cached_db store reads the session in the same round trip as the keys every request
# shares (core/sessions.py).
SESSION_ENGINE = "auroramart.core.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"

# --- background jobs (Celery) ------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Without a broker, tasks run in-process at once: the demo needs no worker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 600
CELERY_TIMEZONE = "Asia/Singapore"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "max_retries": 2}
# Every periodic job is also a management command (see README).
CELERY_BEAT_SCHEDULE = {
    # Every periodic job also runs by hand: `manage.py run_job <name>` (`--list` shows them).
    "resolve-pending-orders": {
        "task": "auroramart.orders.tasks.resolve_pending_orders_task",
        "schedule": 300,
    },
    "retry-unsent-emails": {"task": "auroramart.core.tasks.retry_unsent_emails", "schedule": 120},
    "cart-reminders": {"task": "auroramart.campaigns.tasks.send_cart_reminders_task", "schedule": 900},
    "purge-idempotency-keys": {"task": "auroramart.api.tasks.purge_idempotency_keys_task", "schedule": 3600},
    "rollup-analytics": {"task": "auroramart.analytics.tasks.rollup_recent_task", "schedule": 3600},
    # Nightly, in the shop's time zone, one after another while the shop is quiet.
    "expire-loyalty-points": {
        "task": "auroramart.loyalty.tasks.expire_points_task",
        "schedule": crontab(hour=1, minute=0),
    },
    "clear-stale-carts": {
        "task": "auroramart.cart.tasks.clear_stale_carts_task",
        "schedule": crontab(hour=1, minute=30),
    },
    "purge-login-attempts": {
        "task": "auroramart.staff.tasks.purge_login_attempts_task",
        "schedule": crontab(hour=1, minute=45),
    },
    "train-recommendation-models": {
        "task": "auroramart.recommendations.tasks.train_models_task",
        "schedule": crontab(hour=2, minute=0),
    },
    "refresh-search-suggestions": {
        "task": "auroramart.search.tasks.refresh_suggestions_task",
        "schedule": crontab(hour=3, minute=0),
    },
    "low-stock-digest": {
        "task": "auroramart.inventory.tasks.low_stock_digest_task",
        "schedule": crontab(hour=7, minute=30),
    },
}
# `make run` has no worker or beat: its server runs the periodic jobs in-process (demo/scheduler.py).
DEMO_SCHEDULER = env_bool("DEMO_SCHEDULER", False)
# BEAT_INTERVALS=name=seconds,... runs a job more often (the cluster smoke test watches one).
for _name, _, _seconds in (item.partition("=") for item in env_list("BEAT_INTERVALS", "")):
    CELERY_BEAT_SCHEDULE[_name]["schedule"] = int(_seconds)
# One scheduler for the whole cluster: every node may run beat, but RedBeat's lock in Redis lets
# only one of them send jobs; another takes over within the lock's timeout when it dies.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = CELERY_BROKER_URL
    CELERY_REDBEAT_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "auroramart") + ":beat:"
    CELERY_REDBEAT_LOCK_TIMEOUT = env_int("BEAT_LOCK_TIMEOUT", 60)
    CELERY_BEAT_MAX_LOOP_INTERVAL = min(5, CELERY_REDBEAT_LOCK_TIMEOUT // 4)

# --- auth ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
# Ours reads a session's user in one statement; ModelBackend stays for sessions made before it.
AUTHENTICATION_BACKENDS = [
    "auroramart.accounts.backends.AccountBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Sign-in throttling for the shop, the admin panel and the API (staff/signin.py):
# scope: (free failures, first delay in seconds, longest delay in seconds). The delay
# doubles with each failure beyond the free ones.
SIGNIN_THROTTLE = {
    "account_address": (env_int("LOGIN_FAILURE_LIMIT", 5), 30, 15 * 60),
    "address": (20, 30, 15 * 60),
    # From anywhere: capped at a minute, so nobody can lock an account's owner out.
    "account": (10, 5, 60),
}
# Staff roles that must sign in with a second factor (TOTP, with recovery codes). Optional for
# the others. The demo shop asks for none, so its staff accounts open with a password.
STAFF_TWO_FACTOR_ROLES = env_list("STAFF_TWO_FACTOR_ROLES", "" if DEMO_MODE else "Superadmin,Admin")
OTP_TOTP_ISSUER = "AuroraMart"
# Wrong codes are throttled by the shop's sign-in throttle (one rule, with a clear message);
# django-otp's own silent per-device delay would refuse a right code without saying why.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
STAFF_TWO_FACTOR_PENDING_SECONDS = 300  # between the password and the code
LOGIN_ATTEMPT_RETENTION_DAYS = env_int("LOGIN_ATTEMPT_RETENTION_DAYS", 90)

# --- i18n, money -------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "Asia/Singapore")
USE_I18N = False
USE_TZ = True
CURRENCY = "SGD"
CURRENCY_SYMBOL = "S$"

# --- static and media ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "auroramart" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Trained recommendation models (joblib files; their metadata is in the database).
RECOMMENDATION_MODEL_DIR = Path(env_str("RECOMMENDATION_MODEL_DIR", str(BASE_DIR / "var" / "models")))
# Where uploads (product pictures, avatars) and trained model files live: the local disk by
# default; S3_BUCKET puts both in an S3-compatible object store (AWS S3, MinIO, R2, ...), media
# under media/ (public) and models under models/ (private), so every node sees the same files.
S3_BUCKET = env_str("S3_BUCKET", "")
STATIC_BACKEND = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if env_bool("STATIC_MANIFEST", not DEBUG)
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
if S3_BUCKET:
    _s3 = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
        "region_name": env_str("S3_REGION") or None,
        "access_key": env_str("S3_ACCESS_KEY_ID") or None,
        "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
        "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
        "file_overwrite": False,
    }
    # Media URLs: S3_MEDIA_DOMAIN (a CDN, or a proxy path such as shop.example/media) or the
    # bucket's own address; pictures are public, so the URLs carry no signature.
    MEDIA_DOMAIN = env_str("S3_MEDIA_DOMAIN")
    MEDIA_ORIGIN = (
        f"{env_str('S3_URL_PROTOCOL', 'https:')}//{MEDIA_DOMAIN.split('/')[0]}"
        if MEDIA_DOMAIN
        else env_str("S3_ENDPOINT_URL", f"https://{S3_BUCKET}.s3.amazonaws.com")
    )
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3,
                "location": "media",
                "querystring_auth": False,
                "custom_domain": MEDIA_DOMAIN or None,
                "url_protocol": env_str("S3_URL_PROTOCOL", "https:"),
            },
        },
        "models": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_s3, "location": "models"}},
        "staticfiles": {"BACKEND": STATIC_BACKEND},
    }
    SERVE_MEDIA = False
else:
    # Serving media from Django is for the demo and single-box installs.
    SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "models": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": RECOMMENDATION_MODEL_DIR},
        },
        "staticfiles": {"BACKEND": STATIC_BACKEND},
    }
# Static files straight from the sources (no collectstatic) in development and the demo.
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE or not STATIC_ROOT.exists()
# Until collectstatic has run, static files come from the finders; that is not worth a warning.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# --- email -------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AuroraMart <shop@auroramart.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who renders each kind of attachment the outbox names (core/emails.py), when the email is sent.
EMAIL_ATTACHMENTS = {
    "invoice": "auroramart.orders.documents.invoice_attachment",
    "credit_note": "auroramart.orders.documents.credit_note_attachment",
}
STAFF_EMAILS = env_list("STAFF_EMAILS", "support@auroramart.test")

# --- security ------------------------------------------------------------------------
# HTTPS=true behind TLS (production): redirect to HTTPS, secure cookies, HSTS.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP inside the network
if env_bool("BEHIND_PROXY", False):
    # The load balancer terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# How many proxies in front of the app append to X-Forwarded-For (nginx, a load balancer).
# 0 (the default): the header is ignored, as anyone can send it (core/client.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: scripts come from our own static files; chart data
# travels as JSON. Inline styles stay allowed (htmx's indicator style, widths).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
if S3_BUCKET:  # product pictures come from the object store's (or its CDN's) address
    CONTENT_SECURITY_POLICY["img-src"] += f" {MEDIA_ORIGIN}"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(self)"

# --- accounts -----------------------------------------------------------------------
# One upload policy for every picture the shop accepts (core/uploads.py).
IMAGE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
IMAGE_UPLOAD_MAX_PIXELS = 40_000_000  # larger images are refused before they are decoded
AVATAR_SIZE = 512
REVIEWS_AUTO_APPROVE = env_bool("REVIEWS_AUTO_APPROVE", True)
NEW_PRODUCT_DAYS = 30  # a product added this recently wears the "New" badge
ADMIN_PANEL_URL = "/admin-panel/"
STAFF_IDLE_TIMEOUT = env_int("STAFF_IDLE_TIMEOUT_MINUTES", 30) * 60
STAFF_ABSOLUTE_TIMEOUT = env_int("STAFF_ABSOLUTE_TIMEOUT_HOURS", 10) * 3600

# --- abandoned carts (campaigns/abandoned_carts.py): customers who accept marketing ----------
ABANDONED_CART_HOURS = env_int("ABANDONED_CART_HOURS", 4)  # idle this long: the first reminder
ABANDONED_CART_SECOND_HOURS = env_int("ABANDONED_CART_SECOND_HOURS", 24)  # after the first; 0: none
ABANDONED_CART_COUPON_PERCENT = env_int("ABANDONED_CART_COUPON_PERCENT", 10)  # in the second; 0: none
ABANDONED_CART_WINDOW_DAYS = 7  # older carts are left alone; an order this soon after is "recovered"

# --- who the shop is (invoices, credit notes, emails) ---------------------------------------
SHOP_NAME = env_str("SHOP_NAME", "AuroraMart")
SHOP_LEGAL_NAME = env_str("SHOP_LEGAL_NAME", "AuroraMart Pte. Ltd.")
SHOP_ADDRESS = env_str("SHOP_ADDRESS", "1 Aurora Way, Singapore 018956")
SHOP_TAX_LABEL = env_str("SHOP_TAX_LABEL", "GST Reg. No.")
SHOP_TAX_NUMBER = env_str("SHOP_TAX_NUMBER", "M9-1234567-8")

# --- checkout ---------------------------------------------------------------------------
# "test" (the built-in test provider) or "stripe" (docs/payments.md); or a gateway's dotted path.
PAYMENT_GATEWAY = env_str("PAYMENT_GATEWAY", "test")
# The secret webhooks are signed with (Stripe's "whsec_..." for the endpoint; the test provider
# signs with this too).
PAYMENT_WEBHOOK_SECRET = env_str("PAYMENT_WEBHOOK_SECRET", "whsec_auroramart_test")
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")  # the stand-in, in tests
STRIPE_TIMEOUT_SECONDS = 20
STRIPE_NETWORK_RETRIES = 2
SELF = "'self'"
if PAYMENT_GATEWAY == "stripe":
    # Stripe.js must load from Stripe (PCI); its card field is a frame of theirs, and 3-D
    # Secure is a redirect to their pages after the checkout form is posted.
    for directive, origins in {
        "script-src": "https://js.stripe.com",
        "frame-src": "https://js.stripe.com https://hooks.stripe.com",
        "connect-src": "https://api.stripe.com",
        "form-action": "https://hooks.stripe.com",
    }.items():
        CONTENT_SECURITY_POLICY[directive] = f"{CONTENT_SECURITY_POLICY.get(directive, SELF)} {origins}"
# Delivery and tax are configured per shipping zone in the admin panel (shipping/, tax/); the
# first migration sets up Singapore as the shop has always sold there.
SHOP_COUNTRY = env_str("SHOP_COUNTRY", "SG")  # where the shop is: the cart's estimate before an address
PRICES_INCLUDE_TAX = env_bool("PRICES_INCLUDE_TAX", True)  # prices are entered with tax in them
DEFAULT_TAX_CLASS = "standard"  # a product whose product and category name no class
SHIPPING_TAX_CLASS = "standard"  # the class delivery fees are taxed at
MAX_COUPONS_PER_ORDER = env_int("MAX_COUPONS_PER_ORDER", 1)
CART_MAX_QUANTITY = 99
CART_STALE_DAYS = env_int("CART_STALE_DAYS", 90)  # customers' carts untouched this long are emptied
RETURN_WINDOW_DAYS = 30
# A guest's signed link to their order works this long; an account made from a guest order
# earns the points of guest orders placed this recently (orders/guests.py).
GUEST_ORDER_LINK_DAYS = 365
GUEST_POINTS_CLAIM_DAYS = 30
# Order-status lookups (order number + email) per client address, per 15 minutes.
ORDER_LOOKUP_LIMIT = 10
PENDING_ORDER_TIMEOUT_MINUTES = 15
# Failed payment attempts this recent are asked about again by resolve_pending_orders: a
# charge that landed after a timeout is found and refunded.
PAYMENT_RECHECK_HOURS = 24
# A double-submitted checkout form waits this long for its twin's outcome, then shows it.
CHECKOUT_TWIN_WAIT_SECONDS = 20
# Idempotency-Key (API): up to 255 characters, kept this long (as Stripe does). A request (an
# API call, or a checkout's placement) still without an answer after IDEMPOTENCY_IN_FLIGHT_SECONDS
# is taken as abandoned (its node died): a retry takes it over and asks the payment provider how
# it ended. Longer than any charge may take.
IDEMPOTENCY_KEY_MAX_LENGTH = 255
# Requests per client (or signed-in account) across the whole API; sign-in and checkout have
# tighter limits of their own. Every answer carries RateLimit-* headers (api/throttling.py).
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/m")
# Token sign-ins per client address (on top of the sign-in throttle's per-account delays).
API_SIGN_IN_RATE = env_str("API_SIGN_IN_RATE", "10/m")
# Checkouts per customer: a person places a few orders a minute; a script that loops, more.
API_CHECKOUT_RATE = env_str("API_CHECKOUT_RATE", "20/m")
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
IDEMPOTENCY_IN_FLIGHT_SECONDS = env_int("IDEMPOTENCY_IN_FLIGHT_SECONDS", 120)

# --- loyalty ----------------------------------------------------------------------------
LOYALTY_POINTS_PER_DOLLAR = 1  # earned per S$1 of merchandise after discounts
LOYALTY_REDEEM_POINTS_PER_DOLLAR = 100  # 100 points = S$1 at checkout
LOYALTY_SIGNUP_BONUS = env_int("LOYALTY_SIGNUP_BONUS", 100)
LOYALTY_REVIEW_BONUS = env_int("LOYALTY_REVIEW_BONUS", 50)
LOYALTY_EXPIRY_DAYS = 365  # points expire after 12 months without earning or redeeming
LOYALTY_EXPIRY_WARNING_DAYS = 30

# --- catalog -------------------------------------------------------------------------
CATALOG_PAGE_SIZES = (12, 24, 48)
CATALOG_DEFAULT_PAGE_SIZE = 24

# --- API -----------------------------------------------------------------------------
# An access token is short-lived; the refresh token (rotated on each use) keeps an app signed in.
API_TOKEN_LIFETIME = timedelta(minutes=env_int("API_TOKEN_MINUTES", 60))
API_REFRESH_TOKEN_LIFETIME = timedelta(days=env_int("API_REFRESH_TOKEN_DAYS", 30))

# --- CORS (the API only; off unless origins are named) -----------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")  # e.g. https://app.example.com
CORS_URLS_REGEX = r"^/api/v1/.*$"
CORS_ALLOW_CREDENTIALS = False  # the API authenticates with bearer tokens, never cookies
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-none-match",
    "if-modified-since",
)
CORS_EXPOSE_HEADERS = (
    "ETag",
    "Last-Modified",
    "Location",
    "Idempotent-Replayed",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)
CORS_PREFLIGHT_MAX_AGE = 3600

# Exposes /__bench__/bare for `make bench` only.
BENCH_BASELINE_VIEW = env_bool("BENCH_BASELINE_VIEW", False)

# JSON lines in production (LOG_FORMAT=json, the default unless DEBUG), readable text otherwise;
# every record carries the request id.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "auroramart.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "auroramart.core.logging.ShopJsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Error reporting (Sentry or any Sentry-protocol service) when a DSN is configured.
ERROR_REPORTING_DSN = env_str("SENTRY_DSN", "")
if ERROR_REPORTING_DSN:
    from auroramart.core.error_reporting import init_error_reporting

    init_error_reporting(ERROR_REPORTING_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))
