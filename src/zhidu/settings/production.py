"""Production settings: `DJANGO_SETTINGS_MODULE=zhidu.settings.production`.

Requires SECRET_KEY and ALLOWED_HOSTS in the environment; serves behind HTTPS.
`zhidu check --deploy` is clean with these settings.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATA_DIR, env_bool, env_list

DEBUG = False
if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production")
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment for production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "")

SECURE_SSL_REDIRECT = env_bool("ZHIDU_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("ZHIDU_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("ZHIDU_HSTS_PRELOAD", True)
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = Path(os.environ.get("ZHIDU_STATIC_ROOT") or DATA_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
