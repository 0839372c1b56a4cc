"""``manage.py test`` for an app that uses the kit.

River's tables in the test database. Django creates a fresh test database
from the app's migrations, which know nothing of River, so ``enqueue`` would
raise ``QueueMissing``. The test runner below runs the worker's own ``worker
migrate`` on each test database right after Django has migrated it (before
any clone for ``--parallel``), so the tables are exactly those of the worker
binary the tests use:

    # settings.py (or the test settings)
    TEST_RUNNER = "revisbali_worker.testing.WorkerTestRunner"

A project with its own runner mixes in ``RiverTablesMixin`` instead. The
``worker`` binary is found through REVISBALI_WORKER_BIN, else on PATH.

The test mode. ``enqueue`` inserts real rows in the test database, inside
the test's transaction: nothing works them, and they vanish with the test.
``capture_jobs()`` records what a block enqueued, for assertions:

    with capture_jobs() as jobs:
        self.client.post("/documents/", {"file": upload})
    self.assertEqual([(j.kind, j.args["name"]) for j in jobs], [("ocr_document", "documents/a.png")])

and, when a test asks, works them through the real worker binary and waits
for them, like Celery's ``task_always_eager``:

    with capture_jobs(work=True) as jobs:          # in a TransactionTestCase
        ...
    self.assertEqual(jobs[0].state, "completed")
    text = jobs[0].output["text"]

The worker runs in its own process and sees committed rows only, so working
jobs needs a ``TransactionTestCase`` (a ``TestCase`` keeps everything in one
transaction that is never committed; ``capture_jobs`` says so).
"""

import os
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate
from django.test.runner import DiscoverRunner

from . import binaries
from .jobs import FINAL_STATES, job_enqueued


class WorkerFailed(RuntimeError):
    """The worker binary could not migrate the test database, or stopped
    while working captured jobs."""


def migrate_queue(using=DEFAULT_DB_ALIAS):
    """Apply River's migrations to the database ``using`` with ``worker
    migrate``. It does nothing when they are applied already."""
    worker = binaries.find("worker")
    proc = subprocess.run(
        [worker, "migrate"],
        env=binaries.environment(using),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=300,
    )
    if proc.returncode != 0:
        raise WorkerFailed(
            "`%s migrate` on the %r test database exited %d:\n%s"
            % (worker, using, proc.returncode, proc.stderr.decode(errors="replace")[-4000:])
        )


class RiverTablesMixin:
    """A DiscoverRunner mixin: River's tables in every test database."""

    def setup_databases(self, **kwargs):
        done = set()

        def add_river(sender, using=DEFAULT_DB_ALIAS, **kw):
            # post_migrate comes once per app; the tables are needed once
            # per database, before Django clones it for --parallel.
            name = connections[using].settings_dict["NAME"]
            if (using, name) not in done:
                done.add((using, name))
                migrate_queue(using)

        post_migrate.connect(add_river, weak=False, dispatch_uid="revisbali_worker.river_tables")
        try:
            return super().setup_databases(**kwargs)
        finally:
            post_migrate.disconnect(dispatch_uid="revisbali_worker.river_tables")


class WorkerTestRunner(RiverTablesMixin, DiscoverRunner):
    """Django's test runner, with River's tables in the test databases."""


class CapturedJobs:
    """The jobs enqueued in a ``capture_jobs`` block, as ``Job`` rows read
    fresh on each access. A job whose transaction rolled back is not there;
    enqueueing an existing unique job again lists it once."""

    def __init__(self):
        self.calls = []  # (alias, job id) of each enqueue, in order

    def _record(self, sender, job_id, using, **kwargs):
        self.calls.append((using, job_id))

    def ids(self, using=DEFAULT_DB_ALIAS):
        seen = []
        for alias, job_id in self.calls:
            if alias == using and job_id not in seen:
                seen.append(job_id)
        return seen

    def jobs(self, using=DEFAULT_DB_ALIAS):
        from .models import Job

        ids = self.ids(using)
        rows = {j.id: j for j in Job.objects.using(using).filter(id__in=ids)}
        return [rows[i] for i in ids if i in rows]

    def __iter__(self):
        return iter(self.jobs())

    def __len__(self):
        return len(self.jobs())

    def __getitem__(self, index):
        return self.jobs()[index]

    def kinds(self):
        return [j.kind for j in self.jobs()]


@contextmanager
def capture_jobs(work=False, timeout=120, using=DEFAULT_DB_ALIAS):
    """Record the jobs enqueued in the block; with ``work=True`` work them
    through the worker binary when the block ends, and wait until each has
    finished or failed once (``state`` then says which, ``errors`` why)."""
    captured = CapturedJobs()
    job_enqueued.connect(captured._record, weak=False)
    try:
        yield captured
    finally:
        job_enqueued.disconnect(captured._record)
    if work:
        work_jobs(captured.ids(using), timeout=timeout, using=using)


def _settled(state, errors):
    # Finished, or failed at least once: a test wants to see that failure
    # now rather than after River's retry backoff.
    return state in FINAL_STATES or (state == "retryable" and errors)


def work_jobs(job_ids, timeout=120, using=DEFAULT_DB_ALIAS):
    """Run the worker binary on the database ``using`` until each of
    ``job_ids`` has finished or failed once, then stop it. Raises
    ``WorkerFailed`` if it exits first, ``TimeoutError`` after ``timeout``
    seconds, naming the jobs still waiting."""
    connection = connections[using]
    if connection.in_atomic_block:
        raise RuntimeError(
            "capture_jobs(work=True) needs committed jobs: the worker is another process and cannot "
            "see this transaction. Use a TransactionTestCase instead of a TestCase."
        )
    if not job_ids:
        return
    worker = binaries.find("worker")
    env = binaries.environment(
        using,
        WORKER_MIGRATE="false",  # the test runner did it
        WORKER_HTTP_ADDR="127.0.0.1:0",
        WORKER_UI_ADDR="",
        BACKUP_SCHEDULE="off",  # no backup of the test database on start
    )
    with tempfile.TemporaryDirectory(prefix="revisbali-worker-test-") as tmp:
        env["WORKER_TMPDIR"] = os.path.join(tmp, "work")
        log_path = os.path.join(tmp, "worker.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([worker], env=env, stdout=log, stderr=log)
        try:
            _wait(proc, job_ids, timeout, using, log_path)
        finally:
            _stop(proc)


def _wait(proc, job_ids, timeout, using, log_path):
    deadline = time.monotonic() + timeout
    while True:
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT id, state::text, cardinality(errors) > 0 FROM river_job WHERE id = ANY(%s)",
                [list(job_ids)],
            )
            states = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        pending = [i for i in job_ids if i in states and not _settled(*states[i])]
        if not pending:
            return
        if proc.poll() is not None:
            raise WorkerFailed("the worker exited %d before jobs %s finished:\n%s" % (proc.returncode, pending, _tail(log_path)))
        if time.monotonic() > deadline:
            raise TimeoutError(
                "jobs not finished after %ss: %s\n%s"
                % (timeout, ", ".join("%d (%s)" % (i, states[i][0]) for i in pending), _tail(log_path))
            )
        time.sleep(0.1)


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(path, size=4000):
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - size))
        return f.read().decode(errors="replace")
