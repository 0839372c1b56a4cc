"""Enqueue worker jobs from Django and read their results.

Jobs are rows of River's ``river_job`` table, inserted with raw SQL through
Django's own connection so that they commit or roll back with the app's
transaction: a job enqueued inside ``transaction.atomic()`` that rolls back
never existed, and the worker never sees a job for a row that was not saved.

    from django.db import transaction
    from revisbali_worker.jobs import enqueue, job_result

    with transaction.atomic():
        doc = Document.objects.create(file=upload)
        job = enqueue("ocr_document", {"name": doc.file.name})
        doc.ocr_job_id = job.id
        doc.save(update_fields=["ocr_job_id"])
    ...
    result = job_result(doc.ocr_job_id)   # {"id", "kind", "state", "errors", "output", ...}
    save_result(doc.ocr_job_id, doc, "ocr_result")   # keep it in the app's model

Job outputs name stored files (an OCR preview), never URLs, which would
expire: ``job_result`` adds a fresh ``url`` beside each name when it reads.
"""

import hashlib
import json
import time
from collections import namedtuple
from datetime import datetime, timezone

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.dispatch import Signal

# Sent after each enqueue() with sender=kind, job_id, args, using (the
# database alias) and duplicate. The job exists only if the caller's transaction commits.
# revisbali_worker.testing records jobs through it.
job_enqueued = Signal()

# An argument: its Python type, whether the app must give it, and whether
# Go omits it from the JSON when it is the zero value (`json:",omitempty"`).
Arg = namedtuple("Arg", "type required omitempty")

# A kind's queue, its arguments in the order of the Go struct's fields, what
# makes two jobs the same (River's UniqueOpts: the `river:"unique"` argument
# names, ALL_ARGS for every argument, or one job per period of seconds; and
# the states in which a job blocks an equal one) and its attempts: the args
# types and InsertOpts of the worker's jobs package.
Kind = namedtuple("Kind", "queue args unique_args unique_period unique_states max_attempts files", defaults=((),))

ALL_ARGS = "*"

# River's bit(8) masks of the states in which a job blocks an equal one
# (bits, from the left: pending, scheduled, available, running, retryable,
# discarded, cancelled, completed).
# Default: available, completed, pending, retryable, running, scheduled.
UNIQUE_STATES = "11110101"
# The same without completed: a finished job no longer blocks an equal one,
# so a file uploaded again under its name is read again, and a migration
# can run again.
UNFINISHED_STATES = "11110001"

# The kinds the app may enqueue (docs/river.md). migrate_files_batch is enqueued
# by the worker itself.
KINDS = {
    # files: the keys of the output holding a stored file's {"name"}; a
    # reader adds its URL.
    "ocr_document": Kind(
        "ocr",
        {"name": Arg(str, True, False), "lang": Arg(str, False, True)},
        ("name",),
        None,
        UNFINISHED_STATES,
        5,
        ("preview",),
    ),
    "passport_mrz": Kind(
        "passport", {"name": Arg(str, True, False)}, ("name",), None, UNFINISHED_STATES, 5, ("portrait",)
    ),
    # The same plan enqueued again while the first is unfinished is that job.
    "migrate_files": Kind(
        "storage",
        {
            "fields": Arg(list, False, True),
            "dry_run": Arg(bool, False, False),
            "batch_size": Arg(int, False, True),
            "check_objects": Arg(bool, False, True),
        },
        ALL_ARGS,
        None,
        UNFINISHED_STATES,
        5,
    ),
    # A new backup every time, as manage.py dbbackup makes one (the worker
    # runs it after any backup already running); only the worker's nightly
    # schedule is one per night. verify=True restores the newest backup into
    # a scratch database and compares it with the source instead (see
    # insert_options).
    "backup_db": Kind("maintenance", {"verify": Arg(bool, False, True)}, (), None, None, 3),
    # One attempt: a restore replaces the database, so yes=True must confirm it.
    "restore_db": Kind(
        "maintenance",
        {
            "name": Arg(str, False, True),
            "latest": Arg(bool, False, True),
            "yes": Arg(bool, False, True),
            # Restore an uncompressed backup that has no digest to check.
            "unverified": Arg(bool, False, True),
        },
        (),
        None,
        None,
        1,
    ),
}

InsertOptions = namedtuple("InsertOptions", "queue max_attempts unique_args unique_period unique_states")


def insert_options(kind, args):
    """The queue, attempts and uniqueness of one job: the kind's, except for
    a verification backup, which runs once and is never merged with a
    backup (the worker's BackupDBArgs.InsertOpts)."""
    spec = KINDS[kind]
    if kind == "backup_db" and args.get("verify"):
        return InsertOptions(spec.queue, 1, (), None, None)
    return InsertOptions(spec.queue, spec.max_attempts, spec.unique_args, spec.unique_period, spec.unique_states)


def encode_args(kind, args):
    """The arguments as the worker's Go struct encodes them: its field order,
    zero values written unless omitempty, omitempty ones left out. River's
    unique key hashes this encoding, so it must match byte for byte."""
    out = {}
    for name, arg in KINDS[kind].args.items():
        value = args.get(name, arg.type())
        if arg.omitempty and not value:
            continue
        out[name] = value
    return out


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
RETURNING id, xmax <> 0
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


class QueueMissing(RuntimeError):
    """River's tables are not in this database (or not on its search_path)."""


def _queue_missing(alias, err):
    # 42P01 undefined_table; 42883 undefined_function (the bitmask function
    # of a River schema older than the unique_states column).
    code = getattr(getattr(err, "__cause__", None), "pgcode", None) or getattr(
        getattr(err, "__cause__", None), "sqlstate", None
    )
    if code in ("42P01", "42883") or "river_job" in str(err):
        return QueueMissing(
            "River's tables are missing from the %r database: run `worker migrate` "
            "(or start the worker once) against it; in tests, set TEST_RUNNER = "
            "'revisbali_worker.testing.WorkerTestRunner'" % alias
        )
    return None


class Enqueued(int):
    """What ``enqueue`` returns: the job's id (it is that int), plus
    ``duplicate``, True when an equal unique job was already waiting or
    running and no new one was inserted."""

    def __new__(cls, job_id, duplicate):
        self = super().__new__(cls, job_id)
        self.duplicate = bool(duplicate)
        return self

    @property
    def id(self):
        return int(self)

    def __repr__(self):
        return "Enqueued(id=%d, duplicate=%r)" % (self, self.duplicate)

    # Printed, formatted or sent as JSON it is the id.
    __str__ = int.__repr__


def enqueue(kind, args, *, using=None):
    """Insert a job of ``kind`` with ``args``; return an ``Enqueued``: the
    job id, and ``.duplicate``.

    Runs inside the caller's transaction on the ``using`` database (a
    savepoint when one is open): the job exists only if that transaction
    commits, and the worker is woken when it does. For a unique kind an
    equal job that has not finished is not duplicated: its id comes back
    with ``duplicate=True``. ocr_document and passport_mrz are unique by
    name while a job waits or runs, so a file uploaded again after its job
    finished gets a new job and fresh results; backup_db is a new backup every time;
    migrate_files is by all its arguments until it finishes.
    Raises ``ValueError`` for an unknown kind or arguments the kind does not
    take.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError("unknown job kind %r; the worker runs %s" % (kind, ", ".join(sorted(KINDS))))
    args = dict(args or {})
    _check_args(kind, spec, args)

    opts = insert_options(kind, args)
    encoded = encode_args(kind, args)
    unique_key = unique_states = None
    if opts.unique_states:
        unique_key = unique_key_for(kind, encoded, opts.unique_args, opts.unique_period)
        unique_states = opts.unique_states

    alias = using or DEFAULT_DB_ALIAS
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            try:
                cursor.execute(
                    _INSERT,
                    [go_json(encoded), kind, opts.max_attempts, opts.queue, unique_key, unique_states],
                )
            except DatabaseError as err:
                missing = _queue_missing(alias, err)
                if missing:
                    raise missing from err
                raise
            job_id, duplicate = cursor.fetchone()
            # Postgres delivers the notification only when the transaction
            # commits, so a rolled-back job wakes nobody.
            if not duplicate:
                cursor.execute(_NOTIFY, [json.dumps({"queue": spec.queue})])
    job = Enqueued(job_id, duplicate)
    job_enqueued.send(sender=kind, job_id=job.id, args=args, using=alias, duplicate=job.duplicate)
    return job


def job_result(job_id, *, using=None, request=None):
    """Return the job's state, errors and output as a dict.

    Keys: ``id``, ``kind``, ``state`` (River's: available, running,
    retryable, completed, cancelled, discarded, ...), ``errors`` (one entry
    per failed attempt, each with ``error`` and ``at``), ``output`` (the
    worker's result, None until it completes), ``attempt``,
    ``max_attempts``, ``queue``, ``created_at``, ``finalized_at``.
    A stored file in the output (``output["preview"]["name"]``) gets a
    fresh ``url`` (see ``with_urls``); ``request`` makes a local one
    absolute. River deletes finished jobs after
    WORKER_COMPLETED_JOB_RETENTION: keep what matters with ``save_result``.
    Raises ``JobNotFound``.
    """
    result = _job_row(job_id, using)
    result["output"] = with_urls(result["kind"], result["output"], request=request)
    return result


def _job_row(job_id, using):
    """The job as stored: its output without URLs."""
    with connections[using or DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_RESULT, [int(job_id)])
        row = cursor.fetchone()
    if row is None:
        raise JobNotFound(
            "no job with id %s (finished jobs are deleted after WORKER_COMPLETED_JOB_RETENTION)" % int(job_id)
        )
    (id_, kind, state, attempt, max_attempts, queue, errors, output, created_at, finalized_at) = row
    return {
        "id": id_,
        "kind": kind,
        "state": state,
        "errors": [readable_error(e) for e in json.loads(errors)] if errors else [],
        "output": json.loads(output) if output else None,
        "attempt": attempt,
        "max_attempts": max_attempts,
        "queue": queue,
        "created_at": created_at,
        "finalized_at": finalized_at,
    }


def with_urls(kind, output, *, request=None):
    """A copy of a job's ``output`` where each stored file the kind names
    (``{"name": ...}``) also has ``url``: the URL the frontend loads, made
    now by ``revisbali_worker.urls.file_url``, so it is never an expired
    presigned one. Use it on an output kept with ``save_result``."""
    spec = KINDS.get(kind)
    if not isinstance(output, dict) or spec is None or not spec.files:
        return output
    from .urls import file_url

    output = dict(output)
    for key in spec.files:
        stored = output.get(key)
        if isinstance(stored, dict) and stored.get("name"):
            output[key] = dict(stored, url=file_url(stored["name"], request))
    return output


class JobFailed(RuntimeError):
    """The job ended without completing (cancelled or discarded); ``result``
    is its ``job_result``, ``errors`` what the worker said."""

    def __init__(self, result):
        self.result = result
        last = result["errors"][-1]["error"] if result["errors"] else "no error recorded"
        super().__init__("job %s (%s) %s: %s" % (result["id"], result["kind"], result["state"], last))


def save_result(job_id, instance, field, *, using=None, request=None):
    """Keep a finished job's output in the app's own model.

    When the job has completed, its output (stored names, no URLs: make
    them when reading with ``with_urls``) is set on ``instance.<field>``, a
    ``JSONField``, and that field alone is saved. Returns ``job_result``, so
    a polling view can call it every time: before completion nothing is
    saved. Raises ``JobFailed`` if the job was cancelled or discarded, and
    ``JobNotFound`` if it no longer exists (River removed it after
    WORKER_COMPLETED_JOB_RETENTION: call this sooner, e.g. from the view the
    frontend polls).
    """
    result = _job_row(job_id, using)
    if result["state"] == "completed":
        setattr(instance, field, result["output"])
        instance.save(update_fields=[field])
    elif result["state"] in FINAL_STATES:
        raise JobFailed(result)
    result["output"] = with_urls(result["kind"], result["output"], request=request)
    return result


# River stores a cancelled attempt's error behind its Go type's name.
_RIVER_CANCEL_PREFIX = "JobCancelError: "


def readable_error(attempt):
    """An attempt's error (``river_job.errors``) as people should read it:
    what happened and to which file, without River's Go type names."""
    attempt = dict(attempt)
    message = attempt.get("error")
    if isinstance(message, str) and message.startswith(_RIVER_CANCEL_PREFIX):
        attempt["error"] = message[len(_RIVER_CANCEL_PREFIX) :]
    return attempt


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


def _check_args(kind, spec, args):
    """Refuse what the worker could not decode or would misread: a job with
    bad arguments would only fail there, attempt after attempt."""
    problems = []
    for name, (kind_type, required, _) in spec.args.items():
        if name not in args:
            if required:
                problems.append("missing argument %s" % name)
            continue
        value = args[name]
        # bool is an int in Python, not in Go.
        if not isinstance(value, kind_type) or (kind_type is int and isinstance(value, bool)):
            problems.append("argument %s must be a %s, not %r" % (name, kind_type.__name__, value))
        elif required and kind_type is str and not value:
            problems.append("argument %s is empty" % name)
    unknown = sorted(set(args) - set(spec.args))
    if unknown:
        problems.append("unknown argument %s" % ", ".join(unknown))
    if kind == "restore_db":
        if bool(args.get("name")) == bool(args.get("latest")):
            problems.append("give either a backup name or latest=True")
        if args.get("yes") is not True:
            problems.append("it replaces the database: confirm with yes=True")
    if kind == "migrate_files":
        for field in args.get("fields") or []:
            if not isinstance(field, str) or field.count(".") != 1:
                problems.append("field %r is not TABLE.COLUMN" % (field,))
    if problems:
        raise ValueError(
            "%s: %s; it takes %s"
            % (kind, "; ".join(problems), ", ".join(spec.args) or "no arguments")
        )


def unique_key_for(kind, encoded, unique_args=(), period=None, now=None):
    """River's unique_key: sha256 of ``&kind=KIND``, then ``&args=JSON`` of
    the unique arguments (or all of them) as Go encoded them (``encoded``),
    sorted by name, then ``&period=START`` of the current period in UTC, so
    that a job enqueued here and one inserted by the worker or its CLI are
    the same job."""
    key = "&kind=" + kind
    if unique_args:
        names = encoded if unique_args == ALL_ARGS else unique_args
        present = {k: encoded[k] for k in sorted(names) if k in encoded}
        key += "&args=" + go_json(present)
    if period:
        now = time.time() if now is None else now
        start = datetime.fromtimestamp(now - now % period, tz=timezone.utc)
        key += "&period=" + start.strftime("%Y-%m-%dT%H:%M:%SZ")
    return hashlib.sha256(key.encode("utf-8")).digest()


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
