"""Links from the Django admin to River's web UI, which the worker serves
(WORKER_UI_ADDR) behind its own login, usually through a tunnel or a reverse
proxy. WORKER_UI_URL is where a browser of the admin's users reaches it."""

import os
from urllib.parse import urlsplit


class WorkerUIURLError(ValueError):
    """WORKER_UI_URL is set but is not an http(s) URL."""


def worker_ui_url():
    """The base URL of River's UI, without a trailing slash, or None when
    WORKER_UI_URL is unset (the Django setting, else the environment
    variable)."""
    from django.conf import settings

    url = getattr(settings, "WORKER_UI_URL", None) or os.environ.get("WORKER_UI_URL") or ""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise WorkerUIURLError("WORKER_UI_URL: %r is not an http(s) URL of River's UI" % url)
    return url.rstrip("/")


def job_url(job_id):
    """The job's page in River's UI, or None without WORKER_UI_URL."""
    base = worker_ui_url()
    return None if base is None else "%s/jobs/%d" % (base, job_id)
