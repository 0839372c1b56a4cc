"""The app's own tests, run by `manage.py test` with the kit's test runner."""

import os
import subprocess

from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.test import TestCase, TransactionTestCase

from revisbali_worker.files import get_local_file_path
from revisbali_worker.jobs import enqueue
from revisbali_worker.testing import capture_jobs

from .models import Scan

SCAN = os.environ["SCAN_PATH"]  # an invoice scan (demo/invoice-scan.png)


def save_scan():
    with open(SCAN, "rb") as f:
        return Scan.objects.create(file=File(f, name="invoice.png"))


def ocr(path):
    out = subprocess.run(["tesseract", path, "-"], env=dict(os.environ, OMP_THREAD_LIMIT="1"),
                         capture_output=True, check=True)
    return out.stdout.decode().upper()


class EnqueueTests(TestCase):
    def test_upload_records_its_ocr_job(self):
        with capture_jobs() as jobs:
            with transaction.atomic():
                scan = save_scan()
                enqueue("ocr_document", {"name": scan.file.name})
            try:
                with transaction.atomic():
                    enqueue("passport_mrz", {"name": "passports/never-saved.jpg"})
                    raise RuntimeError("the view failed")
            except RuntimeError:
                pass
        self.assertEqual([(j.kind, j.args) for j in jobs], [("ocr_document", {"name": scan.file.name})])
        self.assertEqual(jobs[0].state, "available")

    def test_working_jobs_needs_a_transaction_test_case(self):
        with self.assertRaisesRegex(RuntimeError, "TransactionTestCase"):
            with capture_jobs(work=True):
                enqueue("ocr_document", {"name": "scans/x.png"})


class WorkedTests(TransactionTestCase):
    def test_ocr_worked_by_the_worker(self):
        scan = save_scan()
        with capture_jobs(work=True) as jobs:
            enqueue("ocr_document", {"name": scan.file.name})
        self.assertEqual(jobs[0].state, "completed", jobs[0].errors)
        self.assertIn("INVOICE", jobs[0].output["text"].upper())


class LocalPathTests(TestCase):
    def test_tesseract_reads_the_scan(self):
        scan = save_scan()
        with get_local_file_path(scan.file) as path:
            self.assertIn("INVOICE", ocr(path))


class AdminTests(TestCase):
    def test_jobs_listed_in_the_admin(self):
        admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
        self.client.force_login(admin)
        job_id = enqueue("ocr_document", {"name": "scans/listed.png"})
        page = self.client.get("/admin/revisbali_worker/job/").content.decode()
        self.assertIn("scans/listed.png", page)
        self.assertIn("/admin/revisbali_worker/job/%d/" % job_id, page)
