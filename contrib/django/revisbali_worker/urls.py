"""Absolute URLs of stored files, for a frontend on another origin.

With cloud storage, Django's storage already gives a full URL (presigned, or
public on a custom domain): it is returned as is, and the browser loads the
file straight from R2. With local storage it gives ``/media/...``, which the
frontend cannot resolve against its own origin: it is made absolute with the
host of the request that asked.
"""

from urllib.parse import urlsplit

from django.core.files.storage import default_storage


def file_url(value, request=None, storage=None):
    """Return the URL the frontend should load for ``value``.

    ``value`` is a ``FieldFile`` (``document.file``) or a stored name. An
    empty one gives None. A relative URL is made absolute with
    ``request.build_absolute_uri``; without a request it is returned as is,
    as Django REST Framework's own ``FileField`` does.
    """
    if not value:
        return None
    if isinstance(value, str):
        url = (storage or default_storage).url(value)
    else:
        url = value.url
    if urlsplit(url).scheme or request is None:
        return url
    return request.build_absolute_uri(url)
