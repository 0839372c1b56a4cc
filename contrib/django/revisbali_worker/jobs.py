"""Enqueue worker jobs from Django and read their results.

Jobs are rows of River's ``river_job`` table, inserted with raw SQL through
Django's own connection so that they commit or roll back with the app's
transaction: a job enqueued inside ``transaction.atomic()`` that rolls back
never existed, and the worker never sees a job for a row that was not saved.

    from django.db import transaction
    from revisbali_worker.jobs import enqueue, job_result

    with transaction.atomic():
        doc = Document.objects.create(file=upload)
        job_id = enqueue("ocr_document", {"name": doc.file.name})
    ...
    result = job_result(job_id)   # {"id", "kind", "state", "errors", "output", ...}
"""

import hashlib
import json
import time
from collections import namedtuple

from django.db import DEFAULT_DB_ALIAS, connections, transaction

# A kind's queue, the argument names it accepts (required ones first, then
# optional ones), the arguments that make two jobs the same (River's
# `river:"unique"` tags; empty means not unique) and its attempts.
Kind = namedtuple("Kind", "queue required optional unique max_attempts")

# The kinds the app may enqueue (design.md). migrate_files_batch is enqueued
# by the worker itself.
KINDS = {
    "ocr_document": Kind("ocr", ("name",), ("lang",), ("name",), 25),
    "passport_mrz": Kind("passport", ("name",), (), ("name",), 25),
    "migrate_files": Kind("storage", (), ("fields", "dry_run", "batch_size"), (), 25),
    "backup_db": Kind("maintenance", (), (), (), 25),
    "restore_db": Kind("maintenance", (), ("name", "latest"), (), 25),
}

# River's default unique states (available, completed, pending, retryable,
# running, scheduled) as its bit(8) mask: a job in one of them blocks a
# duplicate; a cancelled or discarded one does not.
UNIQUE_STATES = "11110101"

# States a job does not leave.
FINAL_STATES = ("completed", "cancelled", "discarded")

_INSERT = """
INSERT INTO river_job
    (args, kind, max_attempts, priority, queue, scheduled_at, state, tags, metadata,
     unique_key, unique_states)
VALUES (%s::jsonb, %s, %s, 1, %s, now(), 'available', '{}', '{}', %s, %s::bit(8))
ON CONFLICT (unique_key)
    WHERE unique_key IS NOT NULL
        AND unique_states IS NOT NULL
        AND river_job_state_in_bitmask(unique_states, state)
    DO UPDATE SET kind = river_job.kind
RETURNING id
"""

_NOTIFY = "SELECT pg_notify(current_schema() || '.river_insert', %s)"

_RESULT = """
SELECT id, kind, state::text, attempt, max_attempts, queue,
       to_jsonb(errors)::text, (metadata -> 'output')::text,
       created_at, finalized_at
FROM river_job WHERE id = %s
"""


class JobNotFound(LookupError):
    """No job has this id (or River's cleaner removed it)."""


def enqueue(kind, args, *, using=None):
    """Insert a job of ``kind`` with ``args`` and return its id.

    Runs inside the caller's transaction on the ``using`` database (a
    savepoint when one is open): the job exists only if that transaction
    commits, and the worker is woken when it does. For a unique kind
    (ocr_document and passport_mrz, by name) an equal job that is still
    pending, running or completed is not duplicated: its id is returned.
    Raises ``ValueError`` for an unknown kind or arguments the kind does not
    take.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError("unknown job kind %r; the worker runs %s" % (kind, ", ".join(sorted(KINDS))))
    args = dict(args or {})
    missing = [a for a in spec.required if a not in args]
    unknown = sorted(set(args) - set(spec.required) - set(spec.optional))
    if missing or unknown:
        raise ValueError(
            "%s: %s; it takes %s"
            % (
                kind,
                "; ".join(
                    (["missing argument " + ", ".join(missing)] if missing else [])
                    + (["unknown argument " + ", ".join(unknown)] if unknown else [])
                ),
                ", ".join(spec.required + spec.optional) or "no arguments",
            )
        )
    for name in spec.required:
        if isinstance(args[name], str) and not args[name]:
            raise ValueError("%s: argument %s is empty" % (kind, name))

    unique_key = unique_states = None
    if spec.unique:
        unique_key = unique_key_for(kind, args, spec.unique)
        unique_states = UNIQUE_STATES

    alias = using or DEFAULT_DB_ALIAS
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute(
                _INSERT,
                [go_json(args), kind, spec.max_attempts, spec.queue, unique_key, unique_states],
            )
            job_id = cursor.fetchone()[0]
            # Postgres delivers the notification only when the transaction
            # commits, so a rolled-back job wakes nobody.
            cursor.execute(_NOTIFY, [json.dumps({"queue": spec.queue})])
    return job_id


def job_result(job_id, *, using=None):
    """Return the job's state, errors and output as a dict.

    Keys: ``id``, ``kind``, ``state`` (River's: available, running,
    retryable, completed, cancelled, discarded, ...), ``errors`` (one entry
    per failed attempt, each with ``error`` and ``at``), ``output`` (the
    worker's result, None until it completes), ``attempt``,
    ``max_attempts``, ``queue``, ``created_at``, ``finalized_at``.
    Raises ``JobNotFound``.
    """
    with connections[using or DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_RESULT, [job_id])
        row = cursor.fetchone()
    if row is None:
        raise JobNotFound("no job with id %s" % job_id)
    (id_, kind, state, attempt, max_attempts, queue, errors, output, created_at, finalized_at) = row
    return {
        "id": id_,
        "kind": kind,
        "state": state,
        "errors": json.loads(errors) if errors else [],
        "output": json.loads(output) if output else None,
        "attempt": attempt,
        "max_attempts": max_attempts,
        "queue": queue,
        "created_at": created_at,
        "finalized_at": finalized_at,
    }


def wait_for_job(job_id, *, timeout=60.0, interval=0.2, using=None):
    """Poll until the job is completed, cancelled or discarded; return
    ``job_result``. Raises ``TimeoutError`` with the last state seen. Meant
    for scripts and tests: a web request should not wait for a job.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = job_result(job_id, using=using)
        if result["state"] in FINAL_STATES:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(
                "job %s (%s) still %s after %ss" % (job_id, result["kind"], result["state"], timeout)
            )
        time.sleep(interval)


def unique_key_for(kind, args, unique_fields):
    """River's unique_key: sha256 of ``&kind=KIND&args=JSON``, the JSON being
    the unique arguments sorted by name, encoded as Go encodes them so that
    a job enqueued here and one enqueued by the worker's CLI collide."""
    present = {k: args[k] for k in sorted(unique_fields) if k in args}
    return hashlib.sha256(("&kind=%s&args=%s" % (kind, go_json(present))).encode("utf-8")).digest()


_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json(value):
    """Compact JSON as Go's encoding/json writes it: UTF-8 kept, but <, >, &,
    U+2028 and U+2029 escaped. Keys keep the given order."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Those characters can only occur inside strings, so replacing them
    # everywhere is safe.
    for raw, escaped in _GO_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text
