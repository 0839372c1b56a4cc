"""The Django half of the revisbali worker.

- ``revisbali_worker.settings``: storage, URL and backup settings from the same
  environment variables the Go worker reads, so both agree on where files are.
- ``revisbali_worker.urls``: absolute URLs of stored files for the frontend.
- ``revisbali_worker.fields``: the same as a Django REST Framework field.
- ``revisbali_worker.jobs``: enqueue worker jobs inside the app's transaction
  and read their results.
"""

from pathlib import Path as _Path

# The repository's VERSION (this folder's VERSION links to it; an installed
# package carries a copy), the same one the Go worker is built with.
__version__ = (_Path(__file__).parent / "VERSION").read_text().strip()
