"""Enqueue and follow jobs from the test project, for the Go tests that run
a worker:

    python3 -m tests.jobctl enqueue KIND ARGS_JSON [--rollback]
    python3 -m tests.jobctl upload-ocr FILENAME < content
    python3 -m tests.jobctl upload-passport FILENAME < content
    python3 -m tests.jobctl reupload-ocr DOCUMENT_ID < content
    python3 -m tests.jobctl wait JOB_ID [--timeout SECONDS]
    python3 -m tests.jobctl backup-stat FILE

enqueue prints the job id; backup-stat prints what django-dbbackup's storage
sees of FILE ({"listed", "size"}); upload-ocr saves a Document and enqueues its OCR
in one transaction, as an adopting view does, and prints {"id", "name",
"job", "duplicate"}; upload-passport does the same with a passport_mrz job;
reupload-ocr replaces that document's file under the
same name and does the same; wait prints job_result as JSON."""

import argparse
import json
import os
import sys


def main(argv):
    parser = argparse.ArgumentParser(prog="python3 -m tests.jobctl")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("enqueue")
    p.add_argument("kind")
    p.add_argument("args")
    p.add_argument("--rollback", action="store_true", help="roll the transaction back after enqueueing")
    p = sub.add_parser("upload-ocr")
    p.add_argument("filename")
    p = sub.add_parser("upload-passport")
    p.add_argument("filename")
    p = sub.add_parser("reupload-ocr")
    p.add_argument("document_id", type=int)
    p = sub.add_parser("backup-stat")
    p.add_argument("file")
    p = sub.add_parser("wait")
    p.add_argument("job_id", type=int)
    p.add_argument("--timeout", type=float, default=120)
    opts = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.project.settings")
    import django

    django.setup()
    from django.db import transaction

    from revisbali_worker.jobs import enqueue, wait_for_job

    if opts.command == "enqueue":
        class RolledBack(Exception):
            pass

        try:
            with transaction.atomic():
                job_id = enqueue(opts.kind, json.loads(opts.args))
                if opts.rollback:
                    raise RolledBack
        except RolledBack:
            pass
        print(job_id)
        return 0
    if opts.command == "backup-stat":
        store = _dbbackup_storage()
        _, files = store.listdir("")
        print(json.dumps({"listed": opts.file in files, "size": store.size(opts.file) if store.exists(opts.file) else None}))
        return 0
    if opts.command in ("upload-ocr", "upload-passport"):
        from django.core.files.base import ContentFile

        from .project.documents.models import Document

        kind = "ocr_document" if opts.command == "upload-ocr" else "passport_mrz"
        with transaction.atomic():
            doc = Document()
            doc.file.save(opts.filename, ContentFile(sys.stdin.buffer.read()), save=True)
            job = enqueue(kind, {"name": doc.file.name})
        print(json.dumps({"id": doc.pk, "name": doc.file.name, "job": job.id, "duplicate": job.duplicate}))
        return 0
    if opts.command == "reupload-ocr":
        from django.core.files.base import ContentFile

        from .project.documents.models import Document

        with transaction.atomic():
            doc = Document.objects.get(pk=opts.document_id)
            name = doc.file.name
            # The bucket overwrites (AWS_S3_FILE_OVERWRITE=True); on disk
            # Django would pick a new name unless the old file goes first.
            if not getattr(doc.file.storage, "file_overwrite", False):
                doc.file.storage.delete(name)
            saved = doc.file.storage.save(name, ContentFile(sys.stdin.buffer.read()))
            job = enqueue("ocr_document", {"name": saved})
        print(json.dumps({"id": doc.pk, "name": saved, "job": job.id, "duplicate": job.duplicate}))
        return 0
    result = wait_for_job(opts.job_id, timeout=opts.timeout)
    print(json.dumps(result, default=str, sort_keys=True))
    return 0


def _dbbackup_storage():
    """The storage django-dbbackup builds from the settings."""
    import django
    from django.conf import settings

    if django.VERSION >= (4, 2):
        from django.core.files.storage import storages

        return storages["dbbackup"]
    from django.core.files.storage import get_storage_class

    return get_storage_class(settings.DBBACKUP_STORAGE)(**settings.DBBACKUP_STORAGE_OPTIONS)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
