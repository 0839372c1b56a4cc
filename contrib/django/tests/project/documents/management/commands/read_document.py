"""Point a new Document at an already stored NAME, read it back through the
model and write its bytes to standard output."""

import sys

from django.core.management.base import BaseCommand

from ...models import Document


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("name", help="the stored name, as the worker saved it")

    def handle(self, name, **options):
        doc = Document.objects.create(file=name)
        doc = Document.objects.get(pk=doc.pk)
        with doc.file.open("rb") as f:
            sys.stdout.buffer.write(f.read())
        sys.stdout.buffer.flush()
