"""The worker's jobs in the Django admin, read-only: by kind, state, file
name and age, each with its arguments, output and errors, and a link to
River's UI when WORKER_UI_URL is set. Retrying or cancelling a job is done in
River's UI (or with ``enqueue``), which knows River's rules for it."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.timesince import timesince

from .admin_links import job_url
from .jobs import readable_error
from .models import Job


def _pretty(value):
    if value is None:
        return "-"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "state", "file_name", "age", "attempts", "river_ui")
    list_filter = ("state", "kind", "queue")
    search_fields = ("args__name",)
    ordering = ("-id",)
    # A count of a large river_job on every page is not worth its cost.
    show_full_result_count = False
    actions = None
    fields = (
        "id", "kind", "queue", "state", "file_name", "attempts", "created_at", "scheduled_at",
        "attempted_at", "finalized_at", "arguments", "job_output", "job_errors", "river_ui",
    )
    readonly_fields = fields

    @admin.display(description="file name")
    def file_name(self, job):
        return job.file_name or "-"

    @admin.display(description="age", ordering="created_at")
    def age(self, job):
        return timesince(job.created_at) + " ago"

    @admin.display(description="attempts")
    def attempts(self, job):
        return "%d/%d" % (job.attempt, job.max_attempts)

    @admin.display(description="arguments")
    def arguments(self, job):
        return _pretty(job.args)

    @admin.display(description="output")
    def job_output(self, job):
        return _pretty(job.output)

    @admin.display(description="errors")
    def job_errors(self, job):
        errors = job.errors or []
        if not errors:
            return "-"
        return format_html(
            "<pre>{}</pre>",
            "\n\n".join(
                "attempt %s at %s:\n%s" % (e.get("attempt"), e.get("at"), readable_error(e).get("error")) for e in errors
            ),
        )

    @admin.display(description="River UI")
    def river_ui(self, job):
        url = job_url(job.id)
        return format_html('<a href="{}">open in River UI</a>', url) if url else "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
