"""Settings for Tessera, read from the environment (see the README's table)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEV_SECRET_KEY = "dev-insecure-tessera-key-change-me"  # noqa: S105
SANDBOX_SECRET_KEY = "sk_test_sandbox"  # noqa: S105

# Production always sets a real Stripe key; with one, DEBUG defaults to off so a
# forgotten DEBUG never exposes the development pages.
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
    "django.contrib.admin",
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# The database sessions, refusing malformed session cookies (organizers/sessions.py).
SESSION_ENGINE = "organizers.sessions"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web, worker and beat processes share the file: wait on locks
    # instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # WAL: readers never block the writer, and a commit costs no
            # fsync (the outbox commits once per email sent).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["organizers.backends.EmailBackend"]
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

# Celery: Redis in production, a file-system broker that needs no server by default.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "store_processed": False,
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
    _queue.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
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
    # Lost webhooks: recent Stripe events read back (payments/event_recovery.py).
    "recover-events": {
        "task": "payments.events.recover_events",
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

# Recordings (the README, "Recordings"): the largest upload, and how long a signed
# media URL on the player page stays valid (seconds).
RECORDING_MAX_UPLOAD_BYTES = env.int("RECORDING_MAX_UPLOAD_BYTES", default=2 * 1024**3)
RECORDING_MEDIA_URL_MAX_AGE = env.int("RECORDING_MEDIA_URL_MAX_AGE", default=15 * 60)

if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Set SECRET_KEY to a random value of 32+ characters."
        )
    if STRIPE_SANDBOX or not STRIPE_WEBHOOK_SECRET or not STRIPE_CONNECT_CLIENT_ID:
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
