"""The worker's Go programs, run from Django: ``worker`` (test mode) and
``enqueue`` (``manage.py migrate_files_to_s3 --wait``).

Each is found through an environment variable naming its path, else on
``PATH``. They get the process environment plus the database and media folder
Django uses, so that they work on the same database (a test database
included) and the same files as the Django process that runs them.
"""

import os
import shutil
from urllib.parse import quote, urlencode

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

# program -> the variable naming its path.
VARIABLES = {"worker": "REVISBALI_WORKER_BIN", "enqueue": "REVISBALI_ENQUEUE_BIN"}


class BinaryNotFound(ImproperlyConfigured):
    """The program is neither where its variable says nor on PATH."""


def find(program):
    """The path of ``worker`` or ``enqueue``."""
    variable = VARIABLES[program]
    path = os.environ.get(variable)
    if path:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BinaryNotFound("%s=%s is not an executable file" % (variable, path))
        return path
    path = shutil.which(program)
    if path is None:
        raise BinaryNotFound(
            "the worker's %r program is not on PATH: build it (go build ./cmd/%s) and put it on PATH, "
            "or set %s to its path" % (program, program, variable)
        )
    return path


def database_url(using=None):
    """A libpq URL of the Django database ``using`` (its test database while
    tests run), for the Go programs' DATABASE_URL."""
    s = connections[using or DEFAULT_DB_ALIAS].settings_dict
    if "postgresql" not in s.get("ENGINE", ""):
        raise ImproperlyConfigured("the worker needs PostgreSQL; database %r is %s" % (using or DEFAULT_DB_ALIAS, s.get("ENGINE")))
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    host = s.get("HOST") or ""
    auth = user + (":" + password if password else "") + ("@" if user else "")
    query = {}
    if host.startswith("/"):  # a Unix socket folder
        query["host"] = host
        host = ""
    elif ":" in host:
        host = "[%s]" % host
    port = ":%s" % s["PORT"] if s.get("PORT") else ""
    options = s.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(key):
            query[key] = options[key]
    url = "postgres://%s%s%s/%s" % (auth, host, port, quote(s.get("NAME") or "", safe=""))
    return url + ("?" + urlencode(query) if query else "")


def environment(using=None, **extra):
    """The environment of a Go program run from this Django process."""
    from django.conf import settings

    env = dict(os.environ)
    env["DATABASE_URL"] = database_url(using)
    if getattr(settings, "MEDIA_ROOT", ""):
        env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env.update(extra)
    return env
