"""The only settings module: every value comes from the environment.

Defaults suit local development (`make run`: the embedded Postgres under var/, Celery
in-process).
With DEBUG off the process refuses to start unless SECRET_KEY is set.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from surveyplatform.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


# Development defaults: production sets DEBUG=0 and must then provide SECRET_KEY.
DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

# Master key of the pseudonyms in exports; each council's key derives from it, and it is
# kept out of the database so that a database dump cannot re-identify exported rows.
PSEUDONYM_KEY = env("PSEUDONYM_KEY")
if not PSEUDONYM_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("PSEUDONYM_KEY must be set when DEBUG is off.")
    PSEUDONYM_KEY = "insecure-development-pseudonym-key"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "experiments",
    "panel",
    "analysis",
    "exports",
    "outbox",
    "ratelimits",
    "audit",
    "accounts",
    "console",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    # First: every later log line of the request carries its id, and its time is measured.
    "surveyplatform.logs.RequestIdMiddleware",
    "surveyplatform.metrics.MetricsMiddleware",
    # The questionnaire's pages leave here for the short stack below (experiments.respondent).
    "experiments.respondent.stack.RespondentStackMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "surveyplatform.security.SecurityHeadersMiddleware",
    "surveyplatform.errors.DatabaseUnavailableMiddleware",
    "surveyplatform.errors.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
    # Records a 404 met by a signed-in staff user (failed access) in the audit log.
    "audit.middleware.FailedAccessAuditMiddleware",
]

# What a member's questionnaire pages need of the stack above: the same, in the same order,
# less the staff's parts (experiments.respondent.stack).
STAFF_ONLY_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
    "audit.middleware.FailedAccessAuditMiddleware",
}
RESPONDENT_MIDDLEWARE = [
    name
    for name in MIDDLEWARE[
        MIDDLEWARE.index("experiments.respondent.stack.RespondentStackMiddleware") + 1 :
    ]
    if name not in STAFF_ONLY_MIDDLEWARE
]

ROOT_URLCONF = "surveyplatform.urls"
WSGI_APPLICATION = "surveyplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# PostgreSQL only, everywhere: without DATABASE_URL, the embedded server that `make run`
# starts under var/ (surveyplatform/demo_database.py) on DEMO_DATABASE_PORT.
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))
DEMO_DATABASE_PORT = env_int("DEMO_DATABASE_PORT", 54329)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"postgres://postgres@127.0.0.1:{DEMO_DATABASE_PORT}/surveyplatform"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
# Every questionnaire page runs the same few statements: bound on the server and prepared
# once per connection (after a few uses), Postgres stops planning them again each time.
# Turn off behind a connection pooler in transaction mode, which cannot keep them.
if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
# UK dates and times in both languages (surveyplatform/formats/): "17 November 2026, 23:32".
FORMAT_MODULE_PATH = ["surveyplatform.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))

# Sessions live in the database so that a Redis outage never logs anyone out.
SESSION_ENGINE = "surveyplatform.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)

# Redis is the Celery broker; with no broker configured, tasks run in-process.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds a broker command or connection may take before it fails. A Redis that hangs
# (paused, or a connection half-open after a failover) accepts connections and never
# answers: without a timeout, a publish after commit would hold a web thread until it
# came back. The outbox keeps the job and the sweeper relays it once Redis answers.
BROKER_SOCKET_TIMEOUT = float(env("BROKER_SOCKET_TIMEOUT", "0.5"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # Publishing gives up after one quick retry when Redis is down (kombu's default keeps
    # retrying for about 6 s): the outbox keeps the job, and a request must not hang on it.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "outbox.tasks.sweep_outbox", "schedule": 15.0},
    "close-due-waves": {"task": "experiments.tasks.close_due_waves", "schedule": 60.0},
    "send-due-reminders": {"task": "experiments.tasks.send_due_reminders", "schedule": 300.0},
    "erase-expired-members": {
        "task": "panel.tasks.erase_expired_members_task",
        "schedule": 24 * 3600.0,
    },
}

# Invitation-token entry per client address: requests per window before 429.
INVITATION_RATE_LIMIT = env_int("INVITATION_RATE_LIMIT", 30)
INVITATION_RATE_WINDOW = env_int("INVITATION_RATE_WINDOW", 60)
# Bot protection (surveyplatform/bots.py): off for personal invitation links by default.
HONEYPOT_ON_INVITATION_FORMS = env_bool("HONEYPOT_ON_INVITATION_FORMS", False)
# How many proxies in front append to X-Forwarded-For (0: use the socket address).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)

# Outbox: seconds before a pending job is swept to the broker again, and before a job that
# was sent but never finished (lost in a Redis flush, say) is sent again.
OUTBOX_PENDING_GRACE = env_int("OUTBOX_PENDING_GRACE", 5)
OUTBOX_RESEND_AFTER = env_int("OUTBOX_RESEND_AFTER", 300)
OUTBOX_SWEEP_BATCH = env_int("OUTBOX_SWEEP_BATCH", 5000)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "panel@surveyplatform.invalid")
# Keep a copy of each e-mail sent to members (their name and links hidden), readable in the
# console's list of sent e-mails: on in development and the demo, off in production.
KEEP_SENT_EMAILS = env_bool("KEEP_SENT_EMAILS", default=DEBUG)

# The public origin used to build invitation links in e-mails and printouts.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Security headers; the secure-cookie and HSTS settings follow DEBUG so that
# `check --deploy` passes in production and plain http works in development.
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin": a referrer never leaves the site. Pages that carry a token in their URL
# add "no-referrer" themselves; site-wide "no-referrer" would make browsers send
# `Origin: null` on form POSTs, which the CSRF check rightly refuses.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The REST API (api/): hashed tokens first, so that a request without credentials gets 401.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per window per user (per client address without credentials), counted in
# Postgres by `ratelimits`, so the limits hold across processes and without Redis.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 1200)
API_ANON_RATE_LIMIT = env_int("API_ANON_RATE_LIMIT", 120)
API_RATE_WINDOW = env_int("API_RATE_WINDOW", 60)
SPECTACULAR_SETTINGS = {
    "TITLE": "surveyplatform API",
    "DESCRIPTION": (
        "Councils, themes, waves, panel imports, invitation links, monitoring and analysis "
        "runs and research exports of the councils you hold a role in. Authenticate with "
        "`Authorization: Token <key>` (make a key on your account page of the staff site, "
        "or with `manage.py create_api_token`) or a staff site session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ExportStatusEnum": "exports.models.ExportStatus.choices"},
}

# Logs (surveyplatform/logs.py): JSON lines with the request's id in production, text in
# development; link tokens and e-mail addresses are redacted in both.
LOGGING = logging_config(
    log_format=env("LOG_FORMAT", "text" if DEBUG else "json"), level=env("LOG_LEVEL", "INFO")
)

# Prometheus metrics at /metrics (surveyplatform/metrics.py): served to these networks (as
# seen through TRUSTED_PROXY_HOPS) or to a scraper sending `Authorization: Bearer <token>`.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
METRICS_TOKEN = env("METRICS_TOKEN")
# /healthz?deep=1 answers 503 when a background job has waited longer than this (seconds).
OUTBOX_LAG_LIMIT = env_int("OUTBOX_LAG_LIMIT", 300)

# The benchmark's ceiling view (bench/ceiling): mounted only when this is on, never in production.
BENCH_CEILING = env_bool("BENCH_CEILING")

# Console sign-in: django-axes locks an account and address out after repeated failures.
# Its database handler keeps working when Redis is down.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address as the rate limits read it (TRUSTED_PROXY_HOPS): behind a proxy,
# the address the proxy appended, so that one client's failures lock out that client only.
AXES_CLIENT_IP_CALLABLE = "ratelimits.limits.client_address"
AXES_LOCKOUT_TEMPLATE = "console/locked_out.html"
AXES_RESET_ON_SUCCESS = True
LOGIN_URL = "console:login"
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Citizen panel console")

# Panel files larger than this are refused before they are read.
PANEL_IMPORT_MAX_BYTES = env_int("PANEL_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# Limits of panel and response files, checked while they are read (panel/imports.py):
# rows, columns, cells, and the bytes an XLSX may unpack to (its zip's declared sizes).
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 500)
IMPORT_MAX_CELLS = env_int("IMPORT_MAX_CELLS", 2_000_000)
IMPORT_MAX_UNZIPPED_BYTES = env_int("IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024)
# Request bodies: no page takes more than a few kilobytes, so refuse anything far larger
# (413) or with more fields than any form has (400) before reading it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)
