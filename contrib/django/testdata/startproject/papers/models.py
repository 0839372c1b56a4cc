from django.db import models


class Scan(models.Model):
    file = models.FileField(upload_to="scans/")


class Photo(models.Model):
    caption = models.CharField(max_length=100, blank=True)
    image = models.ImageField(upload_to="photos/")


class ScanProxy(Scan):
    """Same table as Scan: its column is listed once."""

    class Meta:
        proxy = True
