from django.db import models


class Document(models.Model):
    file = models.FileField(upload_to="documents/")
    # The OCR job of the current file, and its output once kept with
    # revisbali_worker.jobs.save_result (River deletes finished jobs).
    ocr_job_id = models.BigIntegerField(null=True, blank=True)
    ocr_result = models.JSONField(null=True, blank=True)
