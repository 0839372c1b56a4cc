
# --- added for the worker kit (contrib/django/README.md) ---
import os  # noqa: E402
from urllib.parse import unquote, urlsplit  # noqa: E402

INSTALLED_APPS += ["revisbali_worker", "papers"]  # noqa: F405
TEST_RUNNER = "revisbali_worker.testing.WorkerTestRunner"
_db = urlsplit(os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(_db.path.lstrip("/")),
        "USER": unquote(_db.username or ""),
        "PASSWORD": unquote(_db.password or ""),
        "HOST": _db.hostname or "",
        "PORT": str(_db.port or ""),
    }
}
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

from revisbali_worker.settings import configure  # noqa: E402

configure(globals())
