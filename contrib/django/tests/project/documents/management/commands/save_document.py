"""Save standard input as a new Document's file; print {"id", "name"}."""

import json
import sys

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand

from ...models import Document


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("filename", help="file name to upload as; upload_to adds documents/")

    def handle(self, filename, **options):
        doc = Document()
        doc.file.save(filename, ContentFile(sys.stdin.buffer.read()), save=True)
        self.stdout.write(json.dumps({"id": doc.pk, "name": doc.file.name}))
