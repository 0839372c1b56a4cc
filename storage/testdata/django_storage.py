"""Run Django's own storages on operations read as JSON from stdin.

Used by django_test.go: Django's FileSystemStorage and django-storages'
S3Boto3Storage save, read and build URLs for the same names the worker
handles, so both sides are compared on real files and real objects.
"""
import base64
import json
import sys

import django
from django.conf import settings

cfg = json.load(sys.stdin)
settings.configure(
    MEDIA_ROOT=cfg["media_root"],
    MEDIA_URL=cfg["media_url"],
    USE_TZ=True,
    AWS_ACCESS_KEY_ID=cfg["access_key"],
    AWS_SECRET_ACCESS_KEY=cfg["secret_key"],
    AWS_STORAGE_BUCKET_NAME=cfg["bucket"],
    AWS_S3_ENDPOINT_URL=cfg["endpoint"],
    AWS_S3_REGION_NAME=cfg["region"],
    AWS_S3_SIGNATURE_VERSION="s3v4",
)
django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402
from storages.backends.s3boto3 import S3Boto3Storage  # noqa: E402


_storages = {}


def storage(spec):
    key = json.dumps(spec, sort_keys=True)
    if key not in _storages:
        _storages[key] = new_storage(spec)
    return _storages[key]


def new_storage(spec):
    if spec["kind"] == "local":
        return FileSystemStorage()
    return S3Boto3Storage(
        location=spec.get("location", ""),
        file_overwrite=spec["overwrite"],
        querystring_auth=spec["querystring_auth"],
        custom_domain=spec.get("custom_domain") or None,
    )


results = []
for op in cfg["ops"]:
    st = storage(op["storage"])
    if op["op"] == "save":
        data = base64.b64decode(op["data"])
        name = st.save(op["name"], ContentFile(data))
        results.append({"name": name, "url": st.url(name)})
    elif op["op"] == "read":
        with st.open(op["name"], "rb") as f:
            data = f.read()
        results.append({"name": op["name"], "url": st.url(op["name"]),
                        "data": base64.b64encode(data).decode()})
    elif op["op"] == "url":
        results.append({"name": op["name"], "url": st.url(op["name"])})
    else:
        raise SystemExit("unknown operation %r" % op["op"])
json.dump(results, sys.stdout)
