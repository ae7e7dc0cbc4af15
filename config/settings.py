"""Settings for Tessera, read from the environment (see the README's table)."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.database import database
from config.sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEV_SECRET_KEY = "dev-insecure-tessera-key-change-me"  # noqa: S105
SANDBOX_SECRET_KEY = "sk_test_sandbox"  # noqa: S105

# Production sets a real Stripe key; then DEBUG defaults to off (no dev pages).
DEBUG = env.bool(
    "DEBUG",
    default=env.str("STRIPE_SECRET_KEY", default=SANDBOX_SECRET_KEY)
    == SANDBOX_SECRET_KEY,
)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
PORT = env.int("PORT", default=8000)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")

INSTALLED_APPS = [
    # Django's admin on config.adminsite.TesseraAdminSite (config/apps.py).
    "config.apps.TesseraAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "organizers",
    "webinars",
    "payments",
    "registrations",
    "recordings",
    "axes",
    "django.forms",  # Django's widget templates, for FORM_RENDERER
]

MIDDLEWARE = [
    # First, so every log line of the request carries its id (config/logs.py).
    "config.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Every answer but a redirect gets the CSP (config/csp.py).
    "config.csp.StripeAwareCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL byte in the query string or a form: the 400 page (config/nul.py).
    "config.nul.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the 429 page.
    "axes.middleware.AxesMiddleware",
]
# The database sessions, refusing malformed session cookies (organizers/sessions.py).
SESSION_ENGINE = "organizers.sessions"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Widgets render through TEMPLATES: templates/django/forms/widgets/attrs.html
# leaves maxlength out of every form's inputs.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizers.context_processors.console",
            ],
        },
    },
]

DATABASES = {"default": database(env, VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # RedisCache that fails open while Redis is down (config/cache.py).
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Django's defaults, the first one computed off a gevent worker's event loop
# (config/hashers.py): the same algorithm and hashes.
PASSWORD_HASHERS = [
    "config.hashers.PBKDF2PasswordHasher",
    "config.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "config.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# AxesStandaloneBackend first: it refuses a locked-out login before any password
# is checked (the console's login and /admin/login/ alike).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "organizers.backends.EmailBackend",
]
LOGIN_URL = "organizers:login"
LOGIN_REDIRECT_URL = "webinars:dashboard"
LOGOUT_REDIRECT_URL = "organizers:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Email: files under var/mail/ unless EMAIL_URL names a real server.
EMAIL_URL = env.str("EMAIL_URL", default="")
EMAIL_FILE_PATH = VAR_DIR / "mail"
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "config.mail.EmlFileBackend"
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Tessera <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Celery: Redis in production. Without REDIS_URL, an embedded transactional
# broker needs no server: kombu's SQLAlchemy transport on a SQLite file, with
# deletion on acknowledgement and a visibility timeout (config/broker.py), so
# a worker killed mid-task loses no message.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL",
    default=REDIS_URL or f"tessera-sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}",
)
# A message taken by a worker that died is delivered again after this many
# seconds; longer than CELERY_TASK_TIME_LIMIT, so a live worker finishes first.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.float(
    "CELERY_BROKER_VISIBILITY_TIMEOUT", default=600.0
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # A worker consuming several queues (`-Q stripe-events,celery`) always
    # takes from the first one that has a message: Redis's BRPOP in that
    # order, and the embedded broker likewise (config/broker.py).
    "queue_order_strategy": "priority",
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A Redis that does not answer fails a publish fast (the outbox's beat
    # sweep sends the emails later) instead of holding the request.
    CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] = 2
if CELERY_BROKER_URL.startswith("tessera-sqla+sqlite:"):
    # Web, worker and beat share the file: wait on its lock, never fail.
    CELERY_BROKER_TRANSPORT_OPTIONS["connect_args"] = {"timeout": 30}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Stored Stripe events have their own queue, taken first (Procfile): no
# confirmation waits behind emails. The events recovery, which may take a
# while listing every account's events, stays in the default queue.
CELERY_TASK_ROUTES = {
    "payments.events.drain": {"queue": "stripe-events"},
    "payments.events.process_event": {"queue": "stripe-events"},
    "payments.events.process_stored_events": {"queue": "stripe-events"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # The email outbox (registrations/emails/sending.py and reminders.py; the
    # task names are those of the former registrations/tasks_email.py).
    "send-due-emails": {
        "task": "registrations.tasks_email.send_due_emails",
        "schedule": 60.0,
    },
    "schedule-reminders": {
        "task": "registrations.tasks_email.schedule_reminders",
        "schedule": 60.0,
    },
    "schedule-followups": {
        "task": "registrations.tasks_email.schedule_followups",
        "schedule": 300.0,
    },
    # Seat holds and lost webhooks (registrations/checkout.py).
    "release-expired-holds": {
        "task": "registrations.tasks.release_expired_holds",
        "schedule": 60.0,
    },
    "reconcile-checkouts": {
        "task": "registrations.tasks.reconcile_checkouts",
        "schedule": 60.0,
    },
    # Waitlist offers not taken in time pass on (registrations/waitlist/offers.py).
    "expire-waitlist-offers": {
        "task": "registrations.waitlist.expire_offers",
        "schedule": 60.0,
    },
    # Lost webhooks: recent Stripe events read back (payments/event_recovery.py).
    "recover-events": {
        "task": "payments.events.recover_events",
        "schedule": 60.0,
    },
    # Stored webhook events no drain processed: its kick was lost, its worker
    # killed, or a handler failed (payments/event_drain.py).
    "process-stored-events": {
        "task": "payments.events.process_stored_events",
        "schedule": 60.0,
    },
    # Connections' charges_enabled and details_submitted, read back from Stripe
    # (payments/connect/account_sync.py).
    "sync-stripe-connections": {
        "task": "payments.connect.sync_connections",
        "schedule": 600.0,
    },
    # Refunds Stripe could not take yet (registrations/refunds/stripe_sync.py).
    "retry-requested-refunds": {
        "task": "registrations.tasks_refunds.retry_requested_refunds",
        "schedule": 120.0,
    },
    # Outbound webhooks due (again) to organizers' endpoints (api/webhooks/outbox.py).
    "send-webhook-deliveries": {
        "task": "api.webhooks.send_due_deliveries",
        "schedule": 60.0,
    },
}

# Stripe. With no key set, everything points at the sandbox on this app's own port.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default=SANDBOX_SECRET_KEY)
STRIPE_SANDBOX = STRIPE_SECRET_KEY == SANDBOX_SECRET_KEY
STRIPE_CONNECT_CLIENT_ID = env.str(
    "STRIPE_CONNECT_CLIENT_ID", default="ca_sandbox" if STRIPE_SANDBOX else ""
)
STRIPE_WEBHOOK_SECRET = env.str(
    "STRIPE_WEBHOOK_SECRET", default="whsec_sandbox" if STRIPE_SANDBOX else ""
)
STRIPE_CONNECT_WEBHOOK_SECRET = env.str(
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    default="whsec_sandbox_connect" if STRIPE_SANDBOX else "",
)
STRIPE_API_BASE = env.str(
    "STRIPE_API_BASE",
    default=f"http://127.0.0.1:{PORT}/_stripe" if STRIPE_SANDBOX else "",
).rstrip("/")
STRIPE_SANDBOX_DIR = VAR_DIR / "stripe-sandbox"
STRIPE_SANDBOX_WEBHOOK_URL = f"{SITE_URL}/stripe/webhook/"
STRIPE_LIVEMODE = STRIPE_SECRET_KEY.startswith("sk_live_")
STRIPE_APPLICATION_FEE_PERCENT = env.int("STRIPE_APPLICATION_FEE_PERCENT", default=0)
DEMO_STRIPE_ACCOUNT = "acct_1TesseraDemo0001"

# Stripe requires a Checkout Session's expires_at at least 30 minutes after
# "now" as Stripe's clock sees it; the hold expiry is that expires_at, so one
# minute of margin covers the request's travel and clock skew.
SEAT_HOLD_MINUTES = 31
# The public registration page is rendered once per registration key and
# language and served from the cache this many seconds at most (0: never);
# edits forget it at once (registrations/page_cache.py).
REGISTRATION_PAGE_CACHE_SECONDS = env.int("REGISTRATION_PAGE_CACHE_SECONDS", default=10)
# Each web process keeps a registration start's read of its webinar by key
# this many seconds (0: never); see registrations/key_rows.py.
REGISTRATION_KEY_ROW_SECONDS = env.float("REGISTRATION_KEY_ROW_SECONDS", default=0.5)

# Recordings (the README, "Recordings"): the largest upload, and how long a signed
# media URL on the player page stays valid (seconds).
RECORDING_MAX_UPLOAD_BYTES = env.int("RECORDING_MAX_UPLOAD_BYTES", default=2 * 1024**3)
RECORDING_MEDIA_URL_MAX_AGE = env.int("RECORDING_MEDIA_URL_MAX_AGE", default=15 * 60)

# ---------------------------------------------------------------------------
# Content-Security-Policy (django-csp 4; the README, "Content-Security-Policy").
# No inline script or style anywhere: scripts are files under static/js/ loaded
# with `defer`, styles live in static/css/app.css. config/csp.py adds, per
# request, the origin of STRIPE_API_BASE (the sandbox) to form-action.
# ---------------------------------------------------------------------------
# Where a form POST may be redirected to (Chrome applies form-action to the
# redirect): Stripe Checkout (registration), Account Links and OAuth (Connect).
CSP_STRIPE_FORM_ORIGINS = env.list(
    "CSP_STRIPE_FORM_ORIGINS",
    default=["https://checkout.stripe.com", "https://connect.stripe.com"],
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Where recordings are played from when they are stored on S3 (the README,
# "Recordings"): the media endpoint redirects the player to a signed URL there.
# An S3-compatible store (AWS_S3_ENDPOINT_URL) serves from its endpoint;
# AWS S3 from the bucket's global and regional names.
_s3_endpoint = _origin(env.str("AWS_S3_ENDPOINT_URL", default=""))
_bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
_s3_region = env.str("AWS_S3_REGION_NAME", default="")
if _s3_endpoint:
    _media_origins = [_s3_endpoint]
elif _bucket:
    _media_origins = [f"https://{_bucket}.s3.amazonaws.com"]
    if _s3_region:
        _media_origins.append(f"https://{_bucket}.s3.{_s3_region}.amazonaws.com")
else:
    _media_origins = []
CSP_MEDIA_ORIGINS = env.list("CSP_MEDIA_ORIGINS", default=_media_origins)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", *CSP_MEDIA_ORIGINS],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *CSP_STRIPE_FORM_ORIGINS],
    },
}
# --- end of Content-Security-Policy -----------------------------------------
# Abuse (the README, "Security"). The client address every rate limit and the
# login throttling count against: REMOTE_ADDR with no proxy (0), else the
# address the first of TRUSTED_PROXY_COUNT reverse proxies saw
# (organizers.ratelimit.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one
# account, or from one client address, logins are refused for the cool-off.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "organizers.backends.login_name"
AXES_CLIENT_IP_CALLABLE = "organizers.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "organizers.ratelimit.lockout_response"
AXES_RESET_ON_SUCCESS = True
# A failure during the lockout must not extend it: else whoever keeps guessing
# keeps the account's real owner out forever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_SENSITIVE_PARAMETERS = ["password"]

if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Set SECRET_KEY to a random value of 32+ characters."
        )
    if (
        STRIPE_SANDBOX
        or not STRIPE_WEBHOOK_SECRET
        or not STRIPE_CONNECT_WEBHOOK_SECRET
        or not STRIPE_CONNECT_CLIENT_ID
    ):
        raise ImproperlyConfigured(
            "Set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, "
            "STRIPE_CONNECT_WEBHOOK_SECRET and STRIPE_CONNECT_CLIENT_ID."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Logs: one key=value line per record, each with the id of its request
# (config/logs.py); LOG_FORMAT=json for one JSON object per line.
LOGGING_CONFIG = "config.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {
        "structured": {
            "()": "config.logs.StructuredFormatter",
            "as_json": env.str("LOG_FORMAT", default="keyvalue") == "json",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "structured",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- The REST API (api/, the README's "API") --------------------------------
# Django REST framework, its OpenAPI schema (drf-spectacular) and the offline
# documentation's assets (drf-spectacular-sidecar, served as static files).
INSTALLED_APPS += [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tessera API",
    "DESCRIPTION": (
        "Webinars, registrants, payments and refunds of one Tessera account. "
        "Authenticate with `Authorization: Bearer <token>` (tokens are created "
        "in the console). Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "RegistrantStatusEnum": "registrations.models.Registrant.Status",
        "PaymentStatusEnum": "payments.models.Payment.Status",
        "RefundStatusEnum": "payments.models.Refund.Status",
    },
}
# Requests per token per minute (then 429 with Retry-After).
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=120)
API_RATE_WINDOW_SECONDS = 60
# How long an Idempotency-Key's first answer is replayed.
API_IDEMPOTENCY_HOURS = 24
# Outbound webhooks may call http:// and private addresses (development, tests).
API_WEBHOOKS_ALLOW_PRIVATE = env.bool("API_WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)
# Error reporting: to Sentry when SENTRY_DSN is set, else only to the log above.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
