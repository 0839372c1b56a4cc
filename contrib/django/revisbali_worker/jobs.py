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
import os
import time
from collections import namedtuple
from datetime import datetime, timezone

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.dispatch import Signal

# Sent after each enqueue() with sender=kind, job_id, args and using (the
# database alias). The job exists only if the caller's transaction commits.
# revisbali_worker.testing records jobs through it.
job_enqueued = Signal()

# An argument: its Python type, whether the app must give it, and whether
# Go omits it from the JSON when it is the zero value (`json:",omitempty"`).
Arg = namedtuple("Arg", "type required omitempty")

# A kind's queue, its arguments in the order of the Go struct's fields, what
# makes two jobs the same (River's UniqueOpts: the argument names hashed into
# the key, empty for none; one job per period of seconds, or None; and the
# states in which a job blocks an equal one, as River's bit(8) mask, or None
# for a kind that is never merged), its attempts, and its variants.
Kind = namedtuple("Kind", "queue args unique_args unique_period unique_states max_attempts variants")

# Other attempts and uniqueness for the jobs whose boolean argument `when`
# is true (a verification backup runs once and is never merged with a
# backup).
Variant = namedtuple("Variant", "when max_attempts unique_args unique_period unique_states")

# kinds.json is the worker's `enqueue kinds --json`, the contract generated
# from its jobs package; a Go test fails when this copy differs from it.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "kinds.json"), encoding="utf-8") as _f:
    CONTRACT = json.load(_f)

_TYPES = {"string": str, "boolean": bool, "integer": int, "array": list}


def _unique(opts):
    if opts is None:
        return (), None, None
    return tuple(opts["args"]), opts["period_seconds"] or None, opts["states_bitmask"]


def _kind(spec):
    args = {}
    for arg in spec["args"]:
        if arg.get("internal"):
            # The worker's own argument (the leader's catch-up check): never
            # the app's. Left out of the JSON, as Go leaves it when zero.
            if not arg["omitempty"]:
                raise RuntimeError("%s: internal argument %s is always encoded" % (spec["name"], arg["name"]))
            continue
        args[arg["name"]] = Arg(_TYPES[arg["type"]], arg["required"], arg["omitempty"])
    variants = tuple(
        Variant(v["when"], v["max_attempts"], *_unique(v["unique"]))
        for v in spec.get("variants") or ()
        if v["when"] in args
    )
    return Kind(spec["queue"], args, *_unique(spec["unique"]), spec["max_attempts"], variants)


# The kinds the app may enqueue; the worker enqueues the others (a
# migration's batches) itself.
KINDS = {spec["name"]: _kind(spec) for spec in CONTRACT["kinds"] if spec["app"]}

# Every kind the worker runs, the app's and its own.
ALL_KINDS = tuple(sorted(spec["name"] for spec in CONTRACT["kinds"]))

InsertOptions = namedtuple("InsertOptions", "queue max_attempts unique_args unique_period unique_states")


def insert_options(kind, args):
    """The queue, attempts and uniqueness of one job: the kind's, or its
    variant's when the variant's argument is true."""
    spec = KINDS[kind]
    for v in spec.variants:
        if args.get(v.when) is True:
            return InsertOptions(spec.queue, v.max_attempts, v.unique_args, v.unique_period, v.unique_states)
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


def enqueue(kind, args, *, using=None):
    """Insert a job of ``kind`` with ``args`` and return its id.

    Runs inside the caller's transaction on the ``using`` database (a
    savepoint when one is open): the job exists only if that transaction
    commits, and the worker is woken when it does. For a unique kind
    (ocr_document and passport_mrz by name, backup_db once a UTC day,
    migrate_files by all its arguments until it finishes) an equal job that
    is waiting, running or (except migrate_files) completed is not
    duplicated: its id is returned.
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
            job_id = cursor.fetchone()[0]
            # Postgres delivers the notification only when the transaction
            # commits, so a rolled-back job wakes nobody.
            cursor.execute(_NOTIFY, [json.dumps({"queue": spec.queue})])
    job_enqueued.send(sender=kind, job_id=job_id, args=args, using=alias)
    return job_id


def job_result(job_id, *, using=None):
    """Return the job's state, errors and output as a dict.

    Keys: ``id``, ``kind``, ``state`` (River's: available, running,
    retryable, completed, cancelled, discarded, ...), ``errors`` (one entry
    per failed attempt, each with ``error``, what happened and to which
    file, and ``at``), ``output`` (the
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
        "errors": [readable_error(e) for e in json.loads(errors)] if errors else [],
        "output": json.loads(output) if output else None,
        "attempt": attempt,
        "max_attempts": max_attempts,
        "queue": queue,
        "created_at": created_at,
        "finalized_at": finalized_at,
    }


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
        present = {k: encoded[k] for k in sorted(unique_args) if k in encoded}
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
