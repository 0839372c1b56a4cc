"""Settings of the test project: what an adopting app's settings look like,
plus a database taken from DATABASE_URL."""

import os
from urllib.parse import unquote, urlsplit, parse_qsl

from revisbali_worker.settings import configure


def _database(url):
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": {k: v for k, v in options.items() if k == "sslmode"},
    }


SECRET_KEY = "revisbali-worker-tests"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "rest_framework",
    "tests.project.documents",
]
MIDDLEWARE = []
ROOT_URLCONF = "tests.project.urls"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
DATABASES = {"default": _database(os.environ.get("DATABASE_URL", "postgres:///unset"))}

# The one line an adopting app adds (see README).
configure(globals())
