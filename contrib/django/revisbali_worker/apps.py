"""The kit as a Django app: add ``"revisbali_worker"`` to ``INSTALLED_APPS``
for the ``migrate_files_to_s3`` command, the jobs in the admin and the test
runner's hooks. The settings, URL and jobs helpers work without it."""

from django.apps import AppConfig
from django.core import checks


class RevisbaliWorkerConfig(AppConfig):
    name = "revisbali_worker"
    verbose_name = "Worker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        checks.register(check_worker_ui_url)


def check_worker_ui_url(app_configs=None, **kwargs):
    """WORKER_UI_URL, when set, must be an http(s) URL: the admin links to it."""
    from .admin_links import WorkerUIURLError, worker_ui_url

    try:
        worker_ui_url()
    except WorkerUIURLError as err:
        return [checks.Error(str(err), id="revisbali_worker.E001")]
    return []
