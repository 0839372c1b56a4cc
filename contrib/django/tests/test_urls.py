import json
import threading
import unittest
import urllib.request
import uuid
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

from .support import setup_django


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def setUpModule():
    setup_django()


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


class FileURLTest(unittest.TestCase):
    """A document saved through Django, its URL served by a DRF view and
    fetched with a plain GET, as the Angular frontend does."""

    @classmethod
    def setUpClass(cls):
        from django.core.wsgi import get_wsgi_application

        cls.server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_QuietHandler)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.origin = "http://127.0.0.1:%d" % cls.server.server_port

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.thread.join()

    def save(self, filename, content):
        from django.core.files.base import ContentFile

        from .project.documents.models import Document

        doc = Document()
        doc.file.save(filename, ContentFile(content), save=True)
        self.addCleanup(doc.file.delete, save=False)
        return doc

    def test_api_url_is_absolute_and_loads_the_file(self):
        from django.conf import settings

        content = b"%PDF-1.4 scanned invoice " + uuid.uuid4().bytes
        doc = self.save("invoice 2026 #1.pdf", content)

        status, body = get("%s/api/documents/%d/" % (self.origin, doc.pk))
        self.assertEqual(status, 200)
        data = json.loads(body)
        self.assertEqual(data["id"], doc.pk)
        url = data["url"]
        parts = urlsplit(url)
        self.assertIn(parts.scheme, ("http", "https"), url)
        if settings.USE_CLOUD_STORAGE:
            # Straight from the bucket, presigned, never through Django.
            endpoint = urlsplit(settings.AWS_S3_ENDPOINT_URL)
            self.assertEqual(parts.netloc, endpoint.netloc)
            self.assertTrue(
                parts.path.startswith("/%s/%s/documents/" % (settings.AWS_STORAGE_BUCKET_NAME, settings.AWS_LOCATION)),
                url,
            )
            self.assertIn("X-Amz-Signature=", parts.query)
            self.assertIn("X-Amz-Expires=%d" % settings.AWS_QUERYSTRING_EXPIRE, parts.query)
        else:
            # The request's own host, under MEDIA_URL.
            self.assertEqual("%s://%s" % (parts.scheme, parts.netloc), self.origin)
            self.assertTrue(parts.path.startswith(settings.MEDIA_URL + "documents/"), url)
        status, body = get(url)
        self.assertEqual(status, 200)
        self.assertEqual(body, content)

    def test_file_url_function_without_drf(self):
        from django.conf import settings
        from django.test import RequestFactory

        from revisbali_worker.urls import file_url

        content = b"plain function " + uuid.uuid4().bytes
        doc = self.save("note.txt", content)
        host = urlsplit(self.origin).netloc
        request = RequestFactory().get("/anything", HTTP_HOST=host)

        url = file_url(doc.file, request)
        self.assertEqual(get(url)[1], content)
        # A stored name works as well as the FieldFile.
        self.assertEqual(get(file_url(doc.file.name, request))[1], content)
        if settings.USE_CLOUD_STORAGE:
            # Already absolute: the request does not matter.
            self.assertTrue(file_url(doc.file).startswith(settings.AWS_S3_ENDPOINT_URL))
        else:
            self.assertEqual(file_url(doc.file), doc.file.url)
            self.assertTrue(doc.file.url.startswith("/"))
        self.assertIsNone(file_url(None, request))
        self.assertIsNone(file_url("", request))

    def test_field_module_imports_without_drf(self):
        import importlib
        import sys
        from unittest import mock

        from django.test import RequestFactory

        content = b"no drf " + uuid.uuid4().bytes
        doc = self.save("nodrf.txt", content)
        request = RequestFactory().get("/", HTTP_HOST=urlsplit(self.origin).netloc)
        blocked = {name: None for name in ("rest_framework", "rest_framework.fields")}
        with mock.patch.dict(sys.modules, blocked):
            sys.modules.pop("revisbali_worker.fields", None)
            fields = importlib.import_module("revisbali_worker.fields")
            field = fields.FileURLField(context={"request": request})
            self.assertEqual(get(field.to_representation(doc.file))[1], content)

    def test_serializer_gives_null_for_an_empty_file(self):
        from django.test import RequestFactory

        from .project.documents.models import Document
        from .project.documents.serializers import DocumentSerializer

        doc = Document.objects.create(file="")
        request = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
        self.assertIsNone(DocumentSerializer(doc, context={"request": request}).data["url"])
