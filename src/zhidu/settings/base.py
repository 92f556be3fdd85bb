"""Settings shared by every deployment, read from the environment.

Environment variables:
  ZHIDU_DATA_DIR   where the embedded database, the generated secret key and uploads live
                   (default: ~/.local/share/zhidu)
  DATABASE_URL     e.g. postgres://user@127.0.0.1:5432/zhidu (default: SQLite in the data dir)
  SECRET_KEY       (default: generated once and kept in the data dir)
  ALLOWED_HOSTS    comma separated (default: localhost,127.0.0.1,[::1])
  ZHIDU_DEBUG      1 to turn on Django's debug mode
  EMAIL_URL-like settings are plain Django ones: EMAIL_HOST, EMAIL_PORT, DEFAULT_FROM_EMAIL
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(
    os.environ.get("ZHIDU_DATA_DIR") or Path.home() / ".local" / "share" / "zhidu"
).expanduser()


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("ZHIDU_DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "zhidu.core",
    "zhidu.audit",
    "zhidu.org",
    "zhidu.rulebook",
    "zhidu.calendar",
    "zhidu.obligations",
    "zhidu.sanctions",
    "zhidu.complaints",
    "zhidu.attendance",
    "zhidu.api",
    "zhidu.web",
    "zhidu.demo",
]

MIDDLEWARE = [
    "zhidu.core.configcache.SnapshotMiddleware",   # configuration tokens read once per request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "zhidu.urls"
WSGI_APPLICATION = "zhidu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhidu.web.context_processors.navigation",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'zhidu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_sqlite)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with writing transactions queued on a file lock (zhidu.core.db.sqlite)
    DATABASES["default"]["ENGINE"] = "zhidu.core.db.sqlite"
    # WAL lets readers proceed while one writer commits; IMMEDIATE takes the write lock at
    # BEGIN so that two writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                         "PRAGMA temp_store=MEMORY;"),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"].setdefault("TEST", {})
# Keep connections between requests (per worker thread): opening one costs more than a short request
# (SQLite: the pragmas and Django's SQL functions; PostgreSQL: a backend process).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server (psycopg 3), so that statements a connection runs again and again
    # (every registration's) are prepared once: +12 – 18 % intake on PostgreSQL (docs/PERFORMANCE.md).
    # The whole test suite runs this way; ZHIDU_PG_SERVER_BINDING=0 binds on the client (Django's default).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool("ZHIDU_PG_SERVER_BINDING", True)
#: Concurrent registrations of one process commit in one transaction (zhidu.core.groupcommit):
#: "auto" (default) on SQLite, whose writers take turns anyway, not on PostgreSQL, whose transactions
#: run side by side; "1" / "0" force it on / off.
ZHIDU_GROUP_COMMIT = os.environ.get("ZHIDU_GROUP_COMMIT", "auto").strip().lower()
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
#: A unit's audit events are hash-chained in this many chains (zhidu.audit): an event's chain follows
#: from its subject, so that one subject's events stay in one chain, in order, and concurrent writers
#: of one busy unit (a hotline's receiving desk) rarely wait for the same chain head. 1: one chain per
#: unit. Changing it affects new events only; ``zhidu audit verify`` walks every chain.
ZHIDU_AUDIT_CHAINS_PER_UNIT = max(1, int(os.environ.get("ZHIDU_AUDIT_CHAINS_PER_UNIT", "16")))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# The embedded default serves static files from the installed packages directly
# (no collectstatic, no CDN: users' intranets often have no internet).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Failed-login throttling (django-axes): 5 failures for one user name from one address
# lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("ZHIDU_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "zhidu@localhost")
# SMS and phone-call notifications: a class with send_sms(phone, text) and place_call(phone, text)
# (zhidu.obligations.backends: FileSmsBackend writes ZHIDU_SMS_LOG, ConsoleSmsBackend prints).
ZHIDU_SMS_BACKEND = os.environ.get("ZHIDU_SMS_BACKEND", "zhidu.obligations.backends.FileSmsBackend")
ZHIDU_SMS_LOG = Path(os.environ.get("ZHIDU_SMS_LOG") or DATA_DIR / "sms.log")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZHIDU_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
