"""manage.py migrate_files_to_s3 [--dry-run] [--check-objects] [--model app_label.Model]... [--wait]

Moves the media files of every FileField and ImageField from MEDIA_ROOT to
the bucket: it lists the file columns from Django's models (TABLE.COLUMN) and
enqueues one migrate_files job with exactly those fields, which a worker with
USE_CLOUD_STORAGE=True works. Without --wait it prints the job's id.

With --wait it runs the worker's own `enqueue migrate-files --field ...
--wait --json` (found through REVISBALI_ENQUEUE_BIN, else on PATH): its
progress appears as it goes, then the summary, and the command exits with
`enqueue`'s exit code, so both say the same about the same migration.

A re-run trusts the worker's manifest of earlier runs and one listing per
1,000 keys; --check-objects asks the bucket about every file instead, which
also finds objects changed inside the bucket (docs/migration.md).
"""

import json
import subprocess

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models

from revisbali_worker import binaries
from revisbali_worker.jobs import enqueue

# enqueue's exit codes for usage and for configuration or database errors.
EXIT_USAGE = 2
EXIT_INFRA = 3


def file_fields(model_labels=()):
    """The ``table.column`` of every FileField (ImageField included) of the
    models, or of the models named ``app_label.Model``; sorted, each once."""
    if model_labels:
        chosen = []
        for label in model_labels:
            try:
                # A proxy's rows are its concrete model's.
                chosen.append(apps.get_model(label)._meta.concrete_model)
            except (LookupError, ValueError) as err:
                raise CommandError("--model %s: %s" % (label, err), returncode=EXIT_USAGE)
    else:
        # A proxy's or a swapped-out model's rows are another model's.
        chosen = [m for m in apps.get_models() if not (m._meta.proxy or m._meta.swapped)]
    fields = set()
    for model in chosen:
        opts = model._meta
        for field in opts.local_concrete_fields:
            if isinstance(field, models.FileField):
                fields.add("%s.%s" % (opts.db_table, field.column))
    if not fields:
        what = ", ".join(model_labels) if model_labels else "the installed apps"
        raise CommandError("no FileField or ImageField in %s: nothing to migrate" % what, returncode=EXIT_USAGE)
    return sorted(fields)


class Command(BaseCommand):
    help = "Copy the media files of every FileField and ImageField from MEDIA_ROOT to the bucket (a migrate_files job)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be copied; copy nothing")
        parser.add_argument(
            "--check-objects", action="store_true",
            help="ask the bucket about every file instead of trusting the manifest of earlier runs "
                 "(finds objects changed inside the bucket)",
        )
        parser.add_argument(
            "--model", action="append", default=[], metavar="app_label.Model",
            help="only this model's file fields (repeatable)",
        )
        parser.add_argument(
            "--wait", action="store_true",
            help="follow the migration to its end with the worker's enqueue program, show the summary, "
                 "and exit with its exit code",
        )
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args, **opts):
        fields = file_fields(opts["model"])
        dry_run = opts["dry_run"]
        self.stderr.write("%s %d file field(s): %s" % ("dry run of" if dry_run else "migrating", len(fields), ", ".join(fields)))
        if not opts["wait"]:
            args = {"fields": fields, "dry_run": dry_run}
            if opts["check_objects"]:
                args["check_objects"] = True
            job_id = enqueue("migrate_files", args, using=opts["database"])
            self.stdout.write(str(job_id))
            return
        try:
            program = binaries.find("enqueue")
        except binaries.BinaryNotFound as err:
            raise CommandError(str(err), returncode=EXIT_INFRA)
        argv = [program, "migrate-files"]
        for f in fields:
            argv += ["--field", f]
        if dry_run:
            argv.append("--dry-run")
        if opts["check_objects"]:
            argv.append("--check-objects")
        argv += ["--wait", "--json"]
        # enqueue writes its progress on stderr, shared with ours; the JSON
        # result comes on stdout.
        proc = subprocess.run(argv, env=binaries.environment(opts["database"]), stdout=subprocess.PIPE)
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            result = None
        if result is not None:
            self.stdout.write(summary(result))
        if proc.returncode != 0:
            raise CommandError("enqueue migrate-files exited %d" % proc.returncode, returncode=proc.returncode)


def summary(result):
    """The migration's totals for a person: uploaded, skipped, missing,
    refused and failed, with the names `enqueue` reported."""
    out = result.get("output") or {}
    lines = ["job %s %s: %s%s batch(es), %s row(s)" % (
        result.get("id"), result.get("state"), "dry run, " if out.get("dry_run") else "",
        out.get("batches", 0), out.get("rows", 0))]
    if out.get("dry_run"):
        lines.append("  to copy:  %d file(s), %s" % (out.get("pending", 0), _size(out.get("planned_bytes", 0))))
    lines.append("  uploaded: %d file(s), %s" % (out.get("uploaded", 0), _size(out.get("bytes", 0))))
    lines.append("  skipped:  %d (already in the bucket)" % out.get("skipped", 0))
    for key, meaning in (("missing", "in the database, not in MEDIA_ROOT"), ("refused", "names leading outside MEDIA_ROOT"),
                         ("failed", "could not be copied")):
        names = out.get(key + "_names") or []
        lines.append("  %-9s %d%s" % (key + ":", out.get(key, 0), " (%s)" % meaning if out.get(key) else ""))
        lines.extend("    " + n for n in names)
    if out.get("incomplete_files"):
        lines.append("  incomplete: %d file(s) still pending in batches %s" % (
            out["incomplete_files"], ", ".join(str(b) for b in out.get("incomplete_batches") or [])))
    for err in result.get("errors") or []:
        lines.append("  error (attempt %s): %s" % (err.get("attempt"), err.get("error")))
    return "\n".join(lines)


def _size(n):
    n = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1000
