import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

from .support import setup_django

HERE = os.path.dirname(os.path.abspath(__file__))
SCAN = os.path.join(HERE, "..", "..", "..", "demo", "invoice-scan.png")


def setUpModule():
    setup_django()


class LocalFilePathTest(unittest.TestCase):
    """get_local_file_path in the storage mode of the environment: a real
    tesseract process reads the path it yields."""

    def setUp(self):
        from django.conf import settings

        self.cloud = settings.USE_CLOUD_STORAGE
        # Downloads land in a folder of this test, so that a leftover is seen.
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)
        saved, tempfile.tempdir = tempfile.tempdir, self.tmp
        self.addCleanup(setattr, tempfile, "tempdir", saved)

    def leftovers(self):
        return os.listdir(self.tmp)

    def save_scan(self):
        from django.core.files import File

        from .project.documents.models import Document

        doc = Document()
        with open(SCAN, "rb") as f:
            doc.file.save("scan %s.png" % uuid.uuid4().hex[:8], File(f), save=True)
        return doc

    def ocr(self, path):
        out = subprocess.run(
            ["tesseract", path, "-"],
            env=dict(os.environ, OMP_THREAD_LIMIT="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            check=True,
            timeout=120,
        )
        return out.stdout.decode()

    def test_tesseract_reads_the_yielded_path(self):
        from django.conf import settings

        from revisbali_worker.files import get_local_file_path

        doc = self.save_scan()
        for ref in (doc.file, doc.file.name):
            with get_local_file_path(ref) as path:
                self.assertIn("INVOICE", self.ocr(path).upper())
                if self.cloud:
                    self.assertTrue(path.endswith(".png"), path)
                    self.assertEqual(os.path.dirname(path), os.path.realpath(self.tmp))
                else:
                    self.assertEqual(path, os.path.realpath(os.path.join(settings.MEDIA_ROOT, doc.file.name)))
            self.assertTrue(os.path.exists(path) != self.cloud, "the download is deleted on exit; the local file stays")
        self.assertEqual(self.leftovers(), [])

    def test_download_deleted_when_the_block_raises(self):
        from revisbali_worker.files import get_local_file_path

        doc = self.save_scan()
        with self.assertRaises(RuntimeError):
            with get_local_file_path(doc.file) as path:
                self.assertTrue(os.path.isfile(path))
                raise RuntimeError("the view failed while reading the file")
        self.assertEqual(self.leftovers(), [])
        self.assertTrue(os.path.exists(path) != self.cloud)

    def test_names_leading_outside_are_refused(self):
        from django.core.exceptions import SuspiciousFileOperation

        from revisbali_worker.files import get_local_file_path

        for name in ("../outside.png", "/etc/passwd", "documents/../../outside.png", "a\\..\\b.png", "a\x00.png"):
            with self.subTest(name=name):
                with self.assertRaises(SuspiciousFileOperation) as ctx:
                    with get_local_file_path(name):
                        self.fail("yielded a path for %r" % name)
                self.assertIn("outside the storage", str(ctx.exception))
        self.assertEqual(self.leftovers(), [])

    def test_missing_file_is_named(self):
        from revisbali_worker.files import get_local_file_path

        name = "documents/missing-%s.pdf" % uuid.uuid4().hex
        with self.assertRaises(FileNotFoundError) as ctx:
            with get_local_file_path(name):
                self.fail("yielded a path for a missing file")
        self.assertIn(name, str(ctx.exception))
        self.assertEqual(self.leftovers(), [])

    def test_symlinks_resolved_and_kept_inside_media_root(self):
        from django.conf import settings
        from django.core.exceptions import SuspiciousFileOperation

        from revisbali_worker.files import get_local_file_path

        if self.cloud:
            return  # symlinks exist on disk only; names are checked above
        doc = self.save_scan()
        real = os.path.join(settings.MEDIA_ROOT, doc.file.name)
        inside = "documents/link-%s.png" % uuid.uuid4().hex
        os.symlink(real, os.path.join(settings.MEDIA_ROOT, inside))
        with get_local_file_path(inside) as path:
            self.assertEqual(path, os.path.realpath(real))
            self.assertIn("INVOICE", self.ocr(path).upper())

        outside_file = os.path.join(self.tmp, "secret.png")
        shutil.copy(SCAN, outside_file)
        escape = "documents/escape-%s.png" % uuid.uuid4().hex
        os.symlink(outside_file, os.path.join(settings.MEDIA_ROOT, escape))
        with self.assertRaises(SuspiciousFileOperation) as ctx:
            with get_local_file_path(escape):
                self.fail("yielded a path outside MEDIA_ROOT")
        self.assertIn("outside the storage's folder", str(ctx.exception))
