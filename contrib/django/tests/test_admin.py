import json
import unittest
import uuid

from .support import setup_django


def setUpModule():
    setup_django()


class JobAdminTest(unittest.TestCase):
    """The read-only admin over river_job, through Django's test client."""

    LIST = "/admin/revisbali_worker/job/"

    def setUp(self):
        from django.contrib.auth.models import User
        from django.test import Client

        self.tag = uuid.uuid4().hex[:10]
        self.staff = User.objects.create_superuser("admin-" + self.tag, "a@example.com", "pw")
        self.client = Client(SERVER_NAME="localhost")
        self.client.force_login(self.staff)

    def enqueue(self, kind, args):
        from revisbali_worker.jobs import enqueue

        return enqueue(kind, args)

    def finish(self, job_id, state, output=None, error=None):
        """Put a job in the state the worker would leave it in."""
        from django.db import connection

        errors = [json.dumps({"at": "2026-12-07T10:00:00Z", "attempt": 1, "error": error, "trace": ""})] if error else []
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE river_job SET state = %s::river_job_state, attempt = 1, attempted_at = now(),
                       finalized_at = now(), metadata = jsonb_build_object('output', %s::jsonb),
                       errors = %s::jsonb[]
                   WHERE id = %s""",
                [state, json.dumps(output), errors, job_id],
            )

    def get(self, url, **params):
        response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200, response.content[:2000])
        return response.content.decode()

    def test_lists_jobs_by_kind_state_file_name_and_age(self):
        scan = "scans/invoice-%s.png" % self.tag
        passport = "passports/p-%s.jpg" % self.tag
        ocr_id = self.enqueue("ocr_document", {"name": scan})
        mrz_id = self.enqueue("passport_mrz", {"name": passport})
        self.finish(mrz_id, "completed", output={"surname": "ERIKSSON"})

        page = self.get(self.LIST, q=self.tag)
        for text in (scan, passport, "ocr_document", "passport_mrz", "available", "completed", "ago"):
            self.assertIn(text, page)
        self.assertIn("/admin/revisbali_worker/job/%d/" % ocr_id, page)

        page = self.get(self.LIST, q=self.tag, state__exact="completed")
        self.assertIn(passport, page)
        self.assertNotIn(scan, page)
        page = self.get(self.LIST, q=self.tag, kind__exact="ocr_document")
        self.assertIn(scan, page)
        self.assertNotIn(passport, page)
        # Newest first, and sortable by age.
        page = self.get(self.LIST, q=self.tag)
        self.assertLess(page.index(passport), page.index(scan))
        self.get(self.LIST, q=self.tag, o="5")

    def test_job_shows_its_output_and_errors(self):
        done = self.enqueue("ocr_document", {"name": "scans/done-%s.png" % self.tag})
        self.finish(done, "completed", output={"text": "INVOICE <No. 7>", "name": "scans/done.png"})
        failed = self.enqueue("ocr_document", {"name": "scans/failed-%s.png" % self.tag})
        self.finish(failed, "discarded", error='ocr "scans/failed.png": not an image')

        page = self.get(self.LIST + "%d/change/" % done)
        self.assertIn("INVOICE &lt;No. 7&gt;", page, "the output, escaped")
        self.assertIn("scans/done-%s.png" % self.tag, page)
        page = self.get(self.LIST + "%d/change/" % failed)
        self.assertIn("discarded", page)
        self.assertIn("attempt 1", page)
        self.assertIn("ocr &quot;scans/failed.png&quot;: not an image", page)

    def test_links_to_river_ui_only_when_configured(self):
        from django.test import override_settings

        job = self.enqueue("ocr_document", {"name": "scans/ui-%s.png" % self.tag})
        link = "https://jobs.example.com/riverui/jobs/%d" % job
        self.assertNotIn("River UI</a>", self.get(self.LIST + "%d/change/" % job))
        with override_settings(WORKER_UI_URL="https://jobs.example.com/riverui/"):
            self.assertIn(link, self.get(self.LIST + "%d/change/" % job))
            self.assertIn(link, self.get(self.LIST, q=self.tag))

    def test_bad_worker_ui_url_is_a_check_error(self):
        from django.core import checks
        from django.test import override_settings

        with override_settings(WORKER_UI_URL="jobs.example.com"):
            errors = [e for e in checks.run_checks() if e.id == "revisbali_worker.E001"]
        self.assertEqual(len(errors), 1)
        self.assertIn("WORKER_UI_URL", errors[0].msg)

    def test_read_only(self):
        from revisbali_worker.models import Job

        name = "scans/ro-%s.png" % self.tag
        job = self.enqueue("ocr_document", {"name": name})
        self.assertEqual(self.client.get(self.LIST + "add/").status_code, 403)
        self.assertEqual(self.client.post(self.LIST + "%d/delete/" % job, {"post": "yes"}).status_code, 403)
        response = self.client.post(self.LIST + "%d/change/" % job, {"state": "completed"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Job.objects.get(id=job).state, "available")
        self.assertNotIn('name="_save"', self.get(self.LIST + "%d/change/" % job))

    def test_anonymous_is_sent_to_login(self):
        from django.test import Client

        response = Client(SERVER_NAME="localhost").get(self.LIST)
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])
