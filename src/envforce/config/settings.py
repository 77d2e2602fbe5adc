"""envforce settings, read from the environment with safe defaults.

Two ways to run from one code base (docs/deploy.md):
- embedded default: SQLite in ``var/``, background work run in-process (Celery eager);
- production: ``ENVFORCE_DATABASE_URL=postgres://...``, ``ENVFORCE_CELERY_BROKER=redis://...``,
  several web processes behind a reverse proxy.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap as xs_bootstrap
from celery.schedules import crontab
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent  # src/envforce
VAR_DIR = Path(os.environ.get("ENVFORCE_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _secret_key() -> str:
    """The secret key: from the environment, else one generated once and kept in var/."""
    key = os.environ.get("ENVFORCE_SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = get_random_secret_key()
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("ENVFORCE_DEBUG", False)
ALLOWED_HOSTS = env_list("ENVFORCE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ENVFORCE_CSRF_TRUSTED_ORIGINS", "")
# Behind a TLS-terminating reverse proxy: trust its X-Forwarded-Proto and turn on HSTS.
BEHIND_TLS_PROXY = env_bool("ENVFORCE_BEHIND_TLS_PROXY", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "envforce.core",
    "envforce.accounts",
    "envforce.registry",
    "envforce.credit",
    "envforce.planning",
    "envforce.inspections",
    "envforce.monitoring",
    "envforce.offsite",
    "envforce.cases",
    "envforce.web",
    "envforce.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "envforce.core.middleware.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "envforce.core.middleware.RequestContextMiddleware",
    # Last, as django-axes asks: it turns lockouts raised below it into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "envforce.config.urls"
WSGI_APPLICATION = "envforce.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "envforce.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("ENVFORCE_DATABASE_URL", f"sqlite:///{VAR_DIR / 'envforce.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
        # failing half-way (the audit chain's append relies on it).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if "TEST" not in DATABASES["default"]:
        DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security (MLPS level 3 / 等保三级 expectations, docs/security.md) -----------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "envforce.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Lock an account after 5 failures for 30 minutes (docs/security.md).
AXES_FAILURE_LIMIT = int(os.environ.get("ENVFORCE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("ENVFORCE_LOGIN_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = 1 if BEHIND_TLS_PROXY else 0
# Idle sessions end after 30 minutes. Requests renew the window, saving the session at most
# once per ENVFORCE_SESSION_RENEW_SECONDS (envforce.core.middleware.SessionRenewalMiddleware)
# rather than on every request: a session ends at most that long before 30 idle minutes, never
# after.
SESSION_COOKIE_AGE = int(os.environ.get("ENVFORCE_SESSION_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "envforce.core.sessions"
ENVFORCE_SESSION_RENEW_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("ENVFORCE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("ENVFORCE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Uploads and imports are size-limited (bytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ENVFORCE_IMPORT_MAX_BYTES = int(os.environ.get("ENVFORCE_IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
ENVFORCE_IMPORT_MAX_ROWS = int(os.environ.get("ENVFORCE_IMPORT_MAX_ROWS", "200000"))
# Key of the audit trail's HMAC chain; kept apart from the database (docs/security.md).
ENVFORCE_AUDIT_KEY = os.environ.get("ENVFORCE_AUDIT_KEY", SECRET_KEY)

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: all served by the app itself (closed networks, no CDN) --------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("ENVFORCE_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
PROJECT_DIR = BASE_DIR.parent.parent
STATICFILES_DIRS = [
    ("bootstrap", xs_bootstrap.BASE_DIR),
    # Apache ECharts from npm (package-lock.json), installed by scripts/bootstrap.sh.
    ("echarts", PROJECT_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "media")}},
    "staticfiles": {"BACKEND": "envforce.web.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "envforce.core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "envforce.core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "envforce API",
    "DESCRIPTION": "生态环境执法平台接口 (envforce REST API)",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field with different choices; name each enum explicitly.
    "ENUM_NAME_OVERRIDES": {
        "EnterpriseStatusEnum": "envforce.registry.choices.EnterpriseStatus",
        "CatalogueStatusEnum": "envforce.registry.choices.CatalogueStatus",
    },
}

# --- Background work ------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("ENVFORCE_CELERY_BROKER", "memory://")
CELERY_RESULT_BACKEND = os.environ.get("ENVFORCE_CELERY_RESULT_BACKEND", "cache+memory://")
# Embedded default: run tasks in-process unless a broker is configured.
CELERY_TASK_ALWAYS_EAGER = env_bool("ENVFORCE_CELERY_EAGER", CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = TIME_ZONE
# Scheduled jobs of production (``celery -A envforce.config beat``; docs/deploy.md). The embedded
# setup has no beat: ``envforce up`` runs ``envforce detect --follow 60`` instead.
CELERY_BEAT_SCHEDULE = {
    # New frames become alarms within a minute (off-site supervision, issue 3).
    "offsite-detect-recent": {"task": "envforce.offsite.detect_recent", "schedule": 60.0,
                              "options": {"expires": 55.0}},
    # Look-back windows move with the calendar: grades are recomputed every night.
    "credit-recompute": {"task": "envforce.credit.recompute_credit", "schedule": crontab(hour=1, minute=30)},
    # Final due dates of clues once the year's holiday schedule is entered.
    "cases-refresh-deadlines": {"task": "envforce.cases.refresh_provisional_deadlines",
                                "schedule": crontab(hour=2, minute=0)},
    # Tampering with the audit trail is noticed even when nobody looks.
    "core-verify-audit-chain": {"task": "envforce.core.verify_audit_chain", "schedule": crontab(hour=3, minute=0)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ENVFORCE_LOG_LEVEL", "WARNING")},
}
# Lockout is per account: bureau staff sit behind shared NAT addresses, and an address lockout
# would lock a whole office out at once (docs/security.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
