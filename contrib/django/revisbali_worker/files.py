"""A stored file as a path on this machine, for code that still runs a tool
(Tesseract, pdftoppm, ...) on it in the web process.

    from revisbali_worker.files import get_local_file_path

    with get_local_file_path(document.file) as path:
        subprocess.run(["tesseract", path, "-"], check=True)

The same code works with ``USE_CLOUD_STORAGE`` True or False.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage


def _checked_name(name):
    """The stored name, refused when it could lead outside the storage: an
    absolute name, a ``..`` segment (which on S3 would reach another prefix
    of the bucket), a backslash or a NUL byte."""
    if not isinstance(name, str) or not name:
        raise ValueError("no file: the name is empty")
    if "\x00" in name or "\\" in name or name.startswith("/") or ".." in name.split("/"):
        raise SuspiciousFileOperation("the file name %r leads outside the storage" % name)
    return name


@contextmanager
def get_local_file_path(file_reference, storage=None):
    """Yield a path on this machine holding the file's bytes.

    ``file_reference`` is a ``FieldFile`` (``document.file``, its own storage
    is used) or a stored name (``storage``, by default Django's default
    storage).

    - Storage with local paths (``USE_CLOUD_STORAGE=False``): the file's real
      path, symlinks resolved, and refused (``SuspiciousFileOperation``) when
      that lies outside the storage's folder (``MEDIA_ROOT``). The file is not
      copied, so the tool reads the live file. This is the same exposure as
      Django's own ``FieldFile.path``: the path is checked, then opened again
      by name by the tool, so someone able to replace a folder in
      ``MEDIA_ROOT`` with a symlink in between could make the tool read
      another file. Keep ``MEDIA_ROOT`` writable only by the app.
    - Storage without local paths (S3/R2): the object is downloaded to a
      ``NamedTemporaryFile`` with the same extension, whose path is yielded;
      the copy is deleted on exit, also when the block raises, and when the
      download fails half way.

    Names that lead outside the storage (absolute, ``..``) are refused
    before any storage is asked. A file that does not exist raises
    ``FileNotFoundError`` naming it.
    """
    if isinstance(file_reference, str):
        name = file_reference
    elif hasattr(file_reference, "storage") and hasattr(file_reference, "name"):
        name = file_reference.name
        storage = file_reference.storage
    else:
        raise TypeError("get_local_file_path takes a FieldFile or a stored name, not %s" % type(file_reference).__name__)
    name = _checked_name(name)
    storage = storage or default_storage

    try:
        path = storage.path(name)
    except NotImplementedError:  # no local paths: a remote storage
        path = None
    if path is not None:
        yield _local_path(storage, name, path)
        return

    suffix = os.path.splitext(name.rsplit("/", 1)[-1])[1]
    tmp = tempfile.NamedTemporaryFile(prefix="revisbali-", suffix=suffix, delete=False)
    try:
        try:
            with tmp, storage.open(name, "rb") as src:
                shutil.copyfileobj(src, tmp, 1 << 20)
        except Exception as err:
            if not storage.exists(name):
                raise FileNotFoundError("%s: no such file in the storage" % name) from err
            raise
        yield tmp.name
    finally:
        try:
            os.unlink(tmp.name)
        except FileNotFoundError:  # the block removed it itself
            pass


def _local_path(storage, name, path):
    root = os.path.realpath(getattr(storage, "location", None) or _media_root())
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root:
        raise SuspiciousFileOperation("%s resolves to a file outside the storage's folder %s" % (name, root))
    if not os.path.isfile(real):
        raise FileNotFoundError("%s: no such file in %s" % (name, root))
    return real


def _media_root():
    from django.conf import settings

    return settings.MEDIA_ROOT
