"""River's job table as a read-only Django model, for the admin and for
tests. Django never creates, alters or deletes the table: the worker's
``worker migrate`` owns it."""

from django.db import models
from django.db.models.expressions import RawSQL

from .jobs import KINDS

# River's job states (the river_job_state enum).
STATES = ("available", "cancelled", "completed", "discarded", "pending", "retryable", "running", "scheduled")

# The kinds the app enqueues, and the one the worker enqueues for itself.
_KIND_NAMES = sorted(set(KINDS) | {"migrate_files_batch"})


class JobManager(models.Manager):
    def get_queryset(self):
        # errors is a jsonb[] column: read as one jsonb array, so that no
        # ArrayField (django.contrib.postgres) is needed.
        return (
            super()
            .get_queryset()
            .annotate(errors=RawSQL('to_jsonb("river_job"."errors")', [], output_field=models.JSONField()))
        )


class Job(models.Model):
    """One row of ``river_job``: a job enqueued from Django, by ``enqueue``
    or by the worker itself."""

    id = models.BigAutoField(primary_key=True)
    kind = models.TextField(choices=[(k, k) for k in _KIND_NAMES])
    state = models.TextField(choices=[(s, s) for s in STATES])
    queue = models.TextField()
    args = models.JSONField()
    metadata = models.JSONField()
    attempt = models.SmallIntegerField()
    max_attempts = models.SmallIntegerField()
    priority = models.SmallIntegerField()
    created_at = models.DateTimeField()
    scheduled_at = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True)
    finalized_at = models.DateTimeField(null=True)

    objects = JobManager()

    class Meta:
        managed = False
        db_table = "river_job"
        ordering = ["-id"]
        verbose_name = "worker job"

    def __str__(self):
        return "%s %d" % (self.kind, self.id)

    @property
    def file_name(self):
        """The stored file the job works on (``args["name"]``), if any."""
        name = (self.args or {}).get("name") if isinstance(self.args, dict) else None
        return name if isinstance(name, str) else ""

    @property
    def output(self):
        """What the job recorded as its result, or None."""
        return (self.metadata or {}).get("output") if isinstance(self.metadata, dict) else None
