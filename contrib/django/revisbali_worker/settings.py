"""Storage settings shared with the Go worker.

Call ``configure(globals())`` at the end of ``settings/base.py`` (or
``settings/prod.py``). It reads the environment variables the worker reads,
with the same defaults and the same validation, and sets Django's file
storage, the django-storages ``AWS_*`` settings and django-dbbackup's
storage. A value the worker would refuse raises ``ImproperlyConfigured`` here
too, so a typo stops both halves instead of splitting them silently.

``python3 -m revisbali_worker.settings [--url NAME]...`` prints the settings
(secrets masked) and the URLs Django would give, as JSON, for comparison with
the worker's configuration.
"""

import os
import posixpath
import sys
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

DEV_BUCKET = "crmrevisbalidev"
PROD_BUCKET = "crmrevisbali"
# The longest presigned URL lifetime R2 and SigV4 accept: seven days.
MAX_QUERYSTRING_EXPIRE = 7 * 24 * 3600

S3_BACKEND = "storages.backends.s3boto3.S3Boto3Storage"
LOCAL_BACKEND = "django.core.files.storage.FileSystemStorage"
STATICFILES_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"

# Backups live in the media storage under DBBACKUP_LOCATION (default
# backups/), where the worker's backup_db job writes them and django-dbbackup
# looks for them. Names carry the time in TIME_ZONE, Django's default zone
# unless set.
DEFAULT_BACKUP_FOLDER = "backups/"
DEFAULT_TIME_ZONE = "America/Chicago"

# boto >= 1.36 adds CRC32 checksums that R2 answers with errors; these two
# variables turn that off (the worker does the same in code).
CHECKSUM_VARIABLES = {
    "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
    "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
}

SECRET_SETTINGS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


class ConfigurationError(ImproperlyConfigured):
    """Every invalid variable at once, worded as the worker words it."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(
            "invalid configuration:\n" + "\n".join("  - " + p for p in self.problems)
        )


def _value(environ, name, default=""):
    # As in the worker, an empty variable counts as unset.
    return environ.get(name) or default


def _django_bool(environ, name, default, problems):
    raw = environ.get(name) or ""
    if raw == "":
        return default
    if raw == "True":
        return True
    if raw == "False":
        return False
    problems.append(
        "%s: %s is not True or False: Django compares the value to the exact "
        "string 'True', so %s would mean False to Django" % (name, _quote(raw), _quote(raw))
    )
    return False


def _location_problem(location):
    """Why AWS_LOCATION is not a clean relative path, or "" (the worker's
    config.locationProblem): django-storages' safe_join refuses every name
    under a location that normalising changes, such as "media/.."."""
    loc = location.rstrip("/")
    if not loc:
        return ""
    if loc.startswith("/"):
        return "may not start with a slash"
    if "\0" in loc:
        return "contains a NUL byte"
    if loc == "." or ".." in loc.split("/") or posixpath.normpath(loc) != loc:
        return (
            'is not a clean relative path (no "..", "." or empty components): '
            "django-storages refuses every name under it"
        )
    return ""


def _quote(s):
    # Go's %q, for messages identical to the worker's.
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _known_zone(name):
    try:
        import zoneinfo
    except ImportError:  # Python < 3.9: Django checks the zone itself.
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def _django_version():
    import django

    return django.VERSION[:2]


def storage_settings(environ=None, base=None, django_version=None):
    """Return the settings to apply, computed from ``environ``.

    ``base`` is the settings module's namespace so far: a ``MEDIA_ROOT`` or a
    staticfiles storage it already has is kept when the environment does not
    say otherwise. Raises ``ConfigurationError`` naming every bad variable.
    """
    environ = os.environ if environ is None else environ
    base = base or {}
    version = tuple(django_version or _django_version())
    problems = []

    app_env = _value(environ, "APP_ENV", "dev")
    if app_env not in ("dev", "prod"):
        problems.append("APP_ENV: %s is not dev or prod" % _quote(app_env))

    cloud = _django_bool(environ, "USE_CLOUD_STORAGE", False, problems)
    media_root = _value(environ, "MEDIA_ROOT") or str(base.get("MEDIA_ROOT") or "")
    media_url = _value(environ, "MEDIA_URL", "/media/")
    access_key = _value(environ, "AWS_ACCESS_KEY_ID")
    secret_key = _value(environ, "AWS_SECRET_ACCESS_KEY")
    bucket = _value(environ, "AWS_STORAGE_BUCKET_NAME") or (
        PROD_BUCKET if app_env == "prod" else DEV_BUCKET
    )
    endpoint = _value(environ, "AWS_S3_ENDPOINT_URL")
    region = _value(environ, "AWS_S3_REGION_NAME", "auto")
    signature = _value(environ, "AWS_S3_SIGNATURE_VERSION", "s3v4")
    querystring_auth = _django_bool(environ, "AWS_QUERYSTRING_AUTH", True, problems)
    expire_raw = _value(environ, "AWS_QUERYSTRING_EXPIRE", "3600")
    custom_domain = _value(environ, "AWS_S3_CUSTOM_DOMAIN")
    url_protocol = _value(environ, "AWS_S3_URL_PROTOCOL", "https:")
    location = _value(environ, "AWS_LOCATION")
    addressing = _value(environ, "AWS_S3_ADDRESSING_STYLE")
    overwrite = _django_bool(environ, "AWS_S3_FILE_OVERWRITE", True, problems)
    backup_folder = _value(environ, "DBBACKUP_LOCATION", DEFAULT_BACKUP_FOLDER)
    backup_host = _value(environ, "DBBACKUP_HOSTNAME")
    keep_raw = _value(environ, "DBBACKUP_CLEANUP_KEEP", "10")
    time_zone = _value(environ, "TIME_ZONE")

    try:
        expire = int(expire_raw)
    except ValueError:
        problems.append("AWS_QUERYSTRING_EXPIRE: %s is not a whole number of seconds" % _quote(expire_raw))
        expire = None
    if expire is not None and not 1 <= expire <= MAX_QUERYSTRING_EXPIRE:
        problems.append(
            "AWS_QUERYSTRING_EXPIRE: %d seconds is outside 1..%d (7 days, the longest "
            "a presigned URL may live)" % (expire, MAX_QUERYSTRING_EXPIRE)
        )
    if not cloud and not media_root:
        problems.append("MEDIA_ROOT: not set; with USE_CLOUD_STORAGE=False files live under MEDIA_ROOT")
    if not media_url.endswith("/"):
        problems.append("MEDIA_URL: %s must end with a slash, as Django requires" % _quote(media_url))
    if signature != "s3v4":
        problems.append(
            "AWS_S3_SIGNATURE_VERSION: %s is not supported; R2 accepts only s3v4" % _quote(signature)
        )
    if addressing not in ("", "auto", "path", "virtual"):
        problems.append("AWS_S3_ADDRESSING_STYLE: %s is not path, virtual or auto" % _quote(addressing))
    if url_protocol not in ("http:", "https:"):
        problems.append("AWS_S3_URL_PROTOCOL: %s is not http: or https:" % _quote(url_protocol))
    location_problem = _location_problem(location)
    if location_problem:
        problems.append("AWS_LOCATION: %s %s" % (_quote(location), location_problem))
    if backup_folder.startswith("/") or "/../" in "/" + backup_folder + "/":
        problems.append("DBBACKUP_LOCATION: %s must be a relative folder inside the storage" % _quote(backup_folder))
    try:
        keep = int(keep_raw)
    except ValueError:
        problems.append("DBBACKUP_CLEANUP_KEEP: %s is not a whole number" % _quote(keep_raw))
        keep = None
    if keep is not None and keep < 1:
        problems.append(
            "DBBACKUP_CLEANUP_KEEP: %d must be at least 1 (pruning would delete the backup just made)" % keep
        )
    if time_zone:
        if not _known_zone(time_zone):
            problems.append("TIME_ZONE: %s is not a known time zone" % _quote(time_zone))
    elif base.get("TIME_ZONE", DEFAULT_TIME_ZONE) != DEFAULT_TIME_ZONE:
        # The worker would name backups in Chicago time and the app in its
        # own: dbrestore's "latest" would then pick the wrong one.
        problems.append(
            "TIME_ZONE: not set, so the worker names backups in %s, but the settings say %s; "
            "add this line to .env: TIME_ZONE=%s" % (DEFAULT_TIME_ZONE, base["TIME_ZONE"], base["TIME_ZONE"])
        )
    problems.extend(_database_problems(environ, base))
    if cloud:
        if not access_key:
            problems.append("AWS_ACCESS_KEY_ID: not set; required with USE_CLOUD_STORAGE=True")
        if not secret_key:
            problems.append("AWS_SECRET_ACCESS_KEY: not set; required with USE_CLOUD_STORAGE=True")
        if endpoint:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append("AWS_S3_ENDPOINT_URL: %s is not an http(s) URL" % _quote(endpoint))
    if problems:
        raise ConfigurationError(problems)

    location = location.rstrip("/")
    out = {
        "USE_CLOUD_STORAGE": cloud,
        "MEDIA_URL": media_url,
        "AWS_ACCESS_KEY_ID": access_key or None,
        "AWS_SECRET_ACCESS_KEY": secret_key or None,
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint or None,
        "AWS_S3_REGION_NAME": region,
        "AWS_S3_SIGNATURE_VERSION": "s3v4",
        "AWS_QUERYSTRING_AUTH": querystring_auth,
        "AWS_QUERYSTRING_EXPIRE": expire,
        "AWS_S3_CUSTOM_DOMAIN": custom_domain or None,
        "AWS_S3_URL_PROTOCOL": url_protocol,
        "AWS_LOCATION": location,
        # The worker signs path-style URLs unless told virtual; boto must
        # build the same ones.
        "AWS_S3_ADDRESSING_STYLE": "virtual" if addressing == "virtual" else "path",
        "AWS_S3_FILE_OVERWRITE": overwrite,
        # R2 rejects ACL headers.
        "AWS_DEFAULT_ACL": None,
    }
    out.update(CHECKSUM_VARIABLES)
    if media_root:
        out["MEDIA_ROOT"] = media_root

    if time_zone:
        out["TIME_ZONE"] = time_zone
    if backup_host:
        out["DBBACKUP_HOSTNAME"] = backup_host
    out["DBBACKUP_CLEANUP_KEEP"] = keep

    backup_folder = backup_folder.strip("/")
    if cloud:
        default = {"BACKEND": S3_BACKEND, "OPTIONS": {}}
        backup_location = "/".join(p for p in (location, backup_folder) if p)
        backups = {"BACKEND": S3_BACKEND, "OPTIONS": {"location": backup_location}}
    else:
        default = {"BACKEND": LOCAL_BACKEND, "OPTIONS": {}}
        backups = {
            "BACKEND": LOCAL_BACKEND,
            "OPTIONS": {"location": os.path.join(media_root, backup_folder)},
        }

    if version >= (4, 2):
        storages = dict(base.get("STORAGES") or {})
        storages.setdefault(
            "staticfiles",
            {"BACKEND": base.get("STATICFILES_STORAGE") or STATICFILES_BACKEND},
        )
        storages["default"] = default
        storages["dbbackup"] = backups
        out["STORAGES"] = storages
    else:
        out["DEFAULT_FILE_STORAGE"] = default["BACKEND"]
        out["DBBACKUP_STORAGE"] = backups["BACKEND"]
        out["DBBACKUP_STORAGE_OPTIONS"] = backups["OPTIONS"]
    return out


POSTGRES_ENGINES = (
    "django.db.backends.postgresql",
    "django.db.backends.postgresql_psycopg2",
    "django.contrib.gis.db.backends.postgis",
)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def database(url=None):
    """``DATABASES["default"]`` for the database of ``DATABASE_URL`` (or
    ``url``), the one the worker uses and keeps its queue in:

        DATABASES = {"default": database()}
    """
    url = url if url is not None else os.environ.get("DATABASE_URL", "")
    if not url:
        raise ConfigurationError(["DATABASE_URL: not set; the worker and the app share this database"])
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        # The URL may hold a password: never echo it.
        raise ConfigurationError(["DATABASE_URL: not a postgres:// or postgresql:// URL"])
    options = {k: v for k, v in parse_qsl(parts.query) if k in _LIBPQ_OPTIONS}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


# Query parameters of DATABASE_URL passed on to psycopg as connection options.
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "options")


def _database_problems(environ, base):
    """Where the app's DATABASES['default'] and DATABASE_URL, the worker's
    database, differ: jobs enqueued in one database are never seen by a
    worker polling the other. Checked only when both are set; passwords are
    compared, never shown."""
    url = _value(environ, "DATABASE_URL")
    app = (base.get("DATABASES") or {}).get("default")
    if not url or not app:
        return []
    try:
        worker = database(url)
    except ConfigurationError as e:
        return e.problems
    engine = app.get("ENGINE", "")
    if engine not in POSTGRES_ENGINES:
        return [
            "DATABASES['default']: ENGINE is %s, but the worker's queue lives in the PostgreSQL "
            "database of DATABASE_URL; use DATABASES = {'default': database()}" % _quote(engine)
        ]

    def norm(key, value):
        value = str(value or "")
        if key == "PORT":
            return value or "5432"
        if key == "HOST" and value in _LOOPBACK:
            return "localhost"
        return value

    diffs = []
    for key in ("NAME", "USER", "HOST", "PORT"):
        if norm(key, app.get(key)) != norm(key, worker[key]):
            diffs.append("%s is %s, DATABASE_URL says %s" % (key, _quote(str(app.get(key) or "")), _quote(worker[key])))
    if str(app.get("PASSWORD") or "") != worker["PASSWORD"]:
        diffs.append("PASSWORD differs")
    if not diffs:
        return []
    return [
        "DATABASES['default'] is not the worker's database (DATABASE_URL): %s; "
        "use DATABASES = {'default': database()}" % "; ".join(diffs)
    ]


def configure(namespace, environ=None):
    """Apply ``storage_settings`` to a settings module's ``globals()``.

    It also sets boto's two checksum variables in the process environment
    (unless already set), since boto reads them from there.
    """
    values = storage_settings(environ, base=namespace)
    if "STORAGES" in values:
        # Django >= 4.2 refuses these beside STORAGES (and 5.1 dropped
        # them); their values were carried over into STORAGES.
        for name in ("DEFAULT_FILE_STORAGE", "STATICFILES_STORAGE", "DBBACKUP_STORAGE", "DBBACKUP_STORAGE_OPTIONS"):
            namespace.pop(name, None)
    namespace.update(values)
    if values["USE_CLOUD_STORAGE"]:
        for name, value in CHECKSUM_VARIABLES.items():
            os.environ.setdefault(name, value)
    return values


def _main(argv):
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog="python3 -m revisbali_worker.settings",
        description="Print the storage settings (secrets masked) and file URLs as JSON.",
    )
    parser.add_argument("--url", action="append", default=[], metavar="NAME",
                        help="also print the URL Django gives this stored name")
    args = parser.parse_args(argv)
    try:
        values = storage_settings()
    except ConfigurationError as e:
        json.dump({"error": str(e), "problems": e.problems}, sys.stdout)
        print()
        return 1

    urls = {}
    if args.url:
        from django.conf import settings as django_settings

        for name, value in CHECKSUM_VARIABLES.items():
            os.environ.setdefault(name, value)
        django_settings.configure(**values)
        from django.core.files.storage import default_storage

        urls = {name: default_storage.url(name) for name in args.url}

    shown = {k: ("***" if k in SECRET_SETTINGS and v else v) for k, v in values.items()}
    json.dump({"settings": shown, "urls": urls}, sys.stdout, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
