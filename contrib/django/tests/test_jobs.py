import json
import select
import unittest
import uuid

from .support import require, setup_django


def setUpModule():
    setup_django()


class EnqueueTest(unittest.TestCase):
    def setUp(self):
        from django.db import connection

        self.connection = connection

    def name(self):
        return "passports/%s.jpg" % uuid.uuid4().hex

    def jobs_named(self, name):
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT id, kind, queue, state::text, args::text FROM river_job WHERE args->>'name' = %s", [name])
            return cursor.fetchall()

    def test_rolled_back_transaction_enqueues_nothing(self):
        from django.db import transaction

        from revisbali_worker.jobs import enqueue, job_result, JobNotFound

        name = self.name()
        with self.assertRaises(RuntimeError):
            with transaction.atomic():
                job_id = enqueue("ocr_document", {"name": name})
                self.assertEqual(len(self.jobs_named(name)), 1, "visible inside its transaction")
                raise RuntimeError("the view failed after enqueueing")
        self.assertEqual(self.jobs_named(name), [])
        with self.assertRaises(JobNotFound):
            job_result(job_id)

    def test_committed_transaction_enqueues_an_available_job(self):
        from django.db import transaction

        from revisbali_worker.jobs import enqueue, job_result

        name = self.name()
        with transaction.atomic():
            job_id = enqueue("ocr_document", {"name": name, "lang": "eng+ind"})
        rows = self.jobs_named(name)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][:4], (job_id, "ocr_document", "ocr", "available"))
        self.assertEqual(json.loads(rows[0][4]), {"name": name, "lang": "eng+ind"})
        result = job_result(job_id)
        self.assertEqual(result["state"], "available")
        self.assertEqual(result["kind"], "ocr_document")
        self.assertEqual(result["errors"], [])
        self.assertIsNone(result["output"])
        self.assertIsNone(result["finalized_at"])

    def test_works_without_an_open_transaction(self):
        from revisbali_worker.jobs import enqueue

        name = self.name()
        job_id = enqueue("passport_mrz", {"name": name})
        self.assertEqual([r[0] for r in self.jobs_named(name)], [job_id])

    def set_state(self, job_id, state):
        with self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE river_job SET state = %s::river_job_state, "
                "finalized_at = CASE WHEN %s IN ('completed', 'cancelled', 'discarded') THEN now() END WHERE id = %s",
                [state, state, job_id],
            )

    def test_unique_kinds_are_not_duplicated_while_unfinished(self):
        from revisbali_worker.jobs import enqueue

        for kind in ("ocr_document", "passport_mrz"):
            with self.subTest(kind=kind):
                name = self.name()
                first = enqueue(kind, {"name": name})
                self.assertFalse(first.duplicate)
                self.assertEqual(first.id, int(first))
                self.assertEqual(str(first), str(first.id))
                for state in ("available", "running", "retryable", "scheduled"):
                    self.set_state(first, state)
                    again = enqueue(kind, {"name": name})
                    self.assertEqual((again.id, again.duplicate), (first.id, True), "the first job is %s" % state)
                # Uploaded again once the job finished: the file may have
                # new content under the same name, so it is read again.
                self.set_state(first, "completed")
                fresh = enqueue(kind, {"name": name})
                self.assertNotEqual(fresh.id, first.id)
                self.assertFalse(fresh.duplicate)
                self.assertEqual(enqueue(kind, {"name": name}), fresh)
                # The key holds the kind and the name only.
                self.assertNotEqual(enqueue(kind, {"name": name + "x"}), fresh)

    def test_a_duplicate_in_the_same_transaction_is_that_job(self):
        from django.db import transaction

        from revisbali_worker.jobs import enqueue

        name = self.name()
        with transaction.atomic():
            first = enqueue("ocr_document", {"name": name})
            again = enqueue("ocr_document", {"name": name, "lang": "ind"})
        self.assertEqual((again.id, again.duplicate), (first.id, True))
        self.assertEqual(len(self.jobs_named(name)), 1)

    def test_a_cancelled_job_does_not_block_a_new_one(self):
        from revisbali_worker.jobs import enqueue

        name = self.name()
        first = enqueue("passport_mrz", {"name": name})
        self.set_state(first, "cancelled")
        self.assertNotEqual(enqueue("passport_mrz", {"name": name}), first)

    def test_a_migration_is_one_job_until_it_finishes(self):
        from revisbali_worker.jobs import enqueue

        args = {"fields": ["documents_document.file"], "dry_run": True}
        first = enqueue("migrate_files", args)
        self.assertEqual(enqueue("migrate_files", dict(args)), first)
        # Omitted arguments are Go's zero values: the same plan.
        self.assertEqual(enqueue("migrate_files", {"fields": ["documents_document.file"], "dry_run": True, "batch_size": 0}), first)
        self.assertNotEqual(enqueue("migrate_files", {"fields": ["documents_document.file"]}), first)
        with self.connection.cursor() as cursor:
            cursor.execute("UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = %s", [first])
        self.assertNotEqual(enqueue("migrate_files", args), first, "a finished migration can run again")

    def test_a_backup_asked_for_is_always_new(self):
        from revisbali_worker.jobs import enqueue, job_result

        # As manage.py dbbackup: never merged with an earlier request (the
        # worker runs one backup at a time; the nightly one is unique per night).
        backup = enqueue("backup_db", {})
        self.assertNotEqual(enqueue("backup_db", {}), backup)
        # A verification is never merged with a backup, nor with another.
        verify = enqueue("backup_db", {"verify": True})
        self.assertNotIn(verify, (backup, enqueue("backup_db", {"verify": True})))
        self.assertEqual(job_result(verify)["max_attempts"], 1)
        self.assertEqual(job_result(backup)["max_attempts"], 3)

    def test_unique_key_periods_start_at_utc_midnight(self):
        import hashlib

        from revisbali_worker.jobs import unique_key_for

        # 2026-11-28 23:59:59 UTC and 00:00:00 the same day share a period.
        late = 1795910399
        self.assertEqual(
            unique_key_for("backup_db", {}, period=86400, now=late),
            hashlib.sha256(b"&kind=backup_db&period=2026-11-28T00:00:00Z").digest(),
        )
        self.assertNotEqual(
            unique_key_for("backup_db", {}, period=86400, now=late),
            unique_key_for("backup_db", {}, period=86400, now=late + 1),
        )

    def test_bad_arguments_are_refused_before_any_insert(self):
        from revisbali_worker.jobs import enqueue

        with self.connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM river_job")
            before = cursor.fetchone()[0]
        cases = [
            ("ocr", {"name": "a.pdf"}, "unknown job kind 'ocr'"),
            ("ocr_document", {}, "missing argument name"),
            ("ocr_document", {"name": "a.pdf", "language": "eng"}, "unknown argument language"),
            ("passport_mrz", {"name": ""}, "argument name is empty"),
            ("passport_mrz", {"name": 42}, "argument name must be a str"),
            ("migrate_files", {"batch_size": True}, "argument batch_size must be a int"),
            ("migrate_files", {"fields": ["documents_document"]}, "is not TABLE.COLUMN"),
            ("restore_db", {"yes": True}, "either a backup name or latest=True"),
            ("restore_db", {"latest": True}, "confirm with yes=True"),
            ("restore_db", {"latest": True, "yes": 1}, "argument yes must be a bool"),
            ("restore_db", {"name": "default-web1-2026-11-28-020000.psql.bin", "latest": True}, "either"),
        ]
        for kind, args, message in cases:
            with self.subTest(kind=kind, args=args):
                with self.assertRaises(ValueError) as cm:
                    enqueue(kind, args)
                self.assertIn(message, str(cm.exception))
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM river_job")
            self.assertEqual(cursor.fetchone()[0], before)


class MissingQueueTest(unittest.TestCase):
    def test_a_database_without_river_says_so(self):
        from django.db import connection, transaction

        from revisbali_worker.jobs import QueueMissing, enqueue

        with self.assertRaises(QueueMissing) as cm:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("CREATE SCHEMA no_river")
                    cursor.execute("SET LOCAL search_path TO no_river")
                enqueue("passport_mrz", {"name": "a.jpg"})
        self.assertIn("run `worker migrate`", str(cm.exception))
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regnamespace('no_river') IS NULL")
            self.assertTrue(cursor.fetchone()[0], "the schema outlived the rollback")


class NotifyTest(unittest.TestCase):
    """The worker listens on <schema>.river_insert; Postgres delivers a
    notification only when its transaction commits."""

    def test_workers_are_woken_only_by_a_commit(self):
        import psycopg2
        from django.db import transaction

        from revisbali_worker.jobs import enqueue

        (url,) = require("DATABASE_URL")
        listener = psycopg2.connect(url)
        self.addCleanup(listener.close)
        listener.autocommit = True
        with listener.cursor() as cursor:
            cursor.execute('LISTEN "public.river_insert"')

        with self.assertRaises(RuntimeError):
            with transaction.atomic():
                enqueue("passport_mrz", {"name": "rolled-back/%s.jpg" % uuid.uuid4().hex})
                raise RuntimeError("roll back")
        with transaction.atomic():
            enqueue("ocr_document", {"name": "committed/%s.pdf" % uuid.uuid4().hex})

        # Notifications arrive in commit order: the first one to arrive is
        # the committed job's, and nothing came from the rolled-back one.
        received = []
        while not received:
            if select.select([listener], [], [], 30) == ([], [], []):
                self.fail("no notification within 30s of the commit")
            listener.poll()
            received.extend(listener.notifies)
            listener.notifies.clear()
        self.assertEqual([(n.channel, json.loads(n.payload)) for n in received], [("public.river_insert", {"queue": "ocr"})])


class JobResultTest(unittest.TestCase):
    def test_unknown_id(self):
        from revisbali_worker.jobs import JobNotFound, job_result

        with self.assertRaises(JobNotFound):
            job_result(2**62)

    def finish(self, job_id, state, output=None, error=None):
        """What the worker leaves in the row when a job ends."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE river_job SET state = %s::river_job_state, finalized_at = now(), attempt = 1, "
                "metadata = metadata || jsonb_build_object('output', %s::jsonb), "
                "errors = CASE WHEN %s::text IS NULL THEN errors ELSE ARRAY[jsonb_build_object("
                "'at', now(), 'attempt', 1, 'error', %s::text, 'trace', '')] END WHERE id = %s",
                [state, json.dumps(output), error, error, job_id],
            )

    def upload(self, name, content):
        from django.core.files.base import ContentFile

        from tests.project.documents.models import Document

        doc = Document()
        doc.file.save(name, ContentFile(content), save=True)
        return doc

    def test_output_names_files_and_the_reader_adds_fresh_urls(self):
        from revisbali_worker.jobs import enqueue, job_result, with_urls
        from revisbali_worker.urls import file_url

        job = enqueue("ocr_document", {"name": "scans/%s.png" % uuid.uuid4().hex})
        stored = {"name": "scans/a.png", "text": "INVOICE", "preview": {"name": "previews/scans/a.png.jpg"}}
        self.finish(job, "completed", stored)
        result = job_result(job)
        self.assertEqual(result["output"]["preview"], {"name": "previews/scans/a.png.jpg", "url": file_url("previews/scans/a.png.jpg")})
        self.assertEqual(result["output"]["text"], "INVOICE")
        # Kept outputs get the same treatment when read.
        self.assertEqual(with_urls("ocr_document", stored), result["output"])
        self.assertNotIn("url", stored["preview"], "with_urls must not change what it was given")
        # A passport's portrait gets its URL too; a reading without one is
        # left as it is.
        portrait = {"name": "portraits/passports/p.jpg.jpg"}
        self.assertEqual(
            with_urls("passport_mrz", {"name": "passports/p.jpg", "portrait": portrait})["portrait"],
            {"name": portrait["name"], "url": file_url(portrait["name"])},
        )
        self.assertEqual(with_urls("passport_mrz", {"name": "p.jpg"}), {"name": "p.jpg"})
        # A kind without stored files, and an output that is not there yet.
        self.assertEqual(with_urls("migrate_files", {"copied": 1}), {"copied": 1})
        self.assertIsNone(with_urls("ocr_document", None))

    def test_save_result_keeps_the_output_in_the_apps_model(self):
        from revisbali_worker.jobs import JobFailed, enqueue, save_result
        from revisbali_worker.urls import file_url

        from tests.project.documents.models import Document

        doc = self.upload("scan.png", b"first")
        job = enqueue("ocr_document", {"name": doc.file.name})
        Document.objects.filter(pk=doc.pk).update(ocr_job_id=job.id)

        # Not finished: nothing saved, the state comes back for the poll.
        self.assertEqual(save_result(job, doc, "ocr_result")["state"], "available")
        self.assertIsNone(Document.objects.get(pk=doc.pk).ocr_result)

        stored = {"name": doc.file.name, "text": "INVOICE 1", "preview": {"name": "previews/%s.jpg" % doc.file.name}}
        self.finish(job, "completed", stored)
        result = save_result(job, doc, "ocr_result")
        self.assertEqual(result["output"]["preview"]["url"], file_url(stored["preview"]["name"]))
        kept = Document.objects.get(pk=doc.pk)
        # Names only in the model: a URL kept there would expire.
        self.assertEqual(kept.ocr_result, stored)

        # The queue forgets the job (WORKER_COMPLETED_JOB_RETENTION); the
        # model keeps the result.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM river_job WHERE id = %s", [job.id])
        self.assertEqual(Document.objects.get(pk=doc.pk).ocr_result["text"], "INVOICE 1")

        failed = enqueue("ocr_document", {"name": "scans/%s.png" % uuid.uuid4().hex})
        self.finish(failed, "cancelled", None, 'ocr "x.png": not an image')
        with self.assertRaises(JobFailed) as cm:
            save_result(failed, kept, "ocr_result")
        self.assertIn("not an image", str(cm.exception))
        self.assertEqual(Document.objects.get(pk=doc.pk).ocr_result, stored, "a failed job changed the kept result")

    def test_reupload_after_the_job_finished_gets_a_new_job(self):
        """The file changed under its name (AWS_S3_FILE_OVERWRITE=True in the
        bucket; on disk the app deletes and saves again, or Django picks a
        new name): the next enqueue is a new job, not the finished one."""
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        from revisbali_worker.jobs import enqueue

        doc = self.upload("invoice.png", b"old invoice")
        name = doc.file.name
        first = enqueue("ocr_document", {"name": name})
        self.finish(first, "completed", {"name": name, "text": "old"})

        if default_storage.exists(name) and not _overwrites(default_storage):
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(b"new invoice"))
        self.assertEqual(saved, name, "the re-upload kept its name")
        with default_storage.open(name) as f:
            self.assertEqual(f.read(), b"new invoice")
        again = enqueue("ocr_document", {"name": name})
        self.assertFalse(again.duplicate)
        self.assertNotEqual(again.id, first.id)


def _overwrites(storage):
    return getattr(storage, "file_overwrite", False)


class GoJSONTest(unittest.TestCase):
    def test_escapes_as_go_does(self):
        from revisbali_worker.jobs import go_json

        # Go's encoding/json keeps UTF-8 but escapes <, >, & and the two
        # JavaScript line separators.
        self.assertEqual(go_json({"name": "a<b>&c\u2028é/ü.pdf"}), '{"name":"a\\u003cb\\u003e\\u0026c\\u2028é/ü.pdf"}')
