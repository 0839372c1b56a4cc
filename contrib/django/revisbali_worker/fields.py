"""A Django REST Framework field giving a file's absolute URL.

    class DocumentSerializer(serializers.ModelSerializer):
        url = FileURLField(source="file")

The request comes from the serializer's context (DRF's generic views put it
there). This module imports without DRF installed, so shared code can name
the field; using it as a serializer field needs DRF.
"""

from .urls import file_url

try:
    from rest_framework.fields import Field as _Base
except ImportError:  # DRF is optional; file_url works without it.

    class _Base:
        def __init__(self, **kwargs):
            self.context = kwargs.pop("context", {})


class FileURLField(_Base):
    """Read-only field: ``file_url(value, request)`` of a ``FileField``."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return file_url(value, self.context.get("request"))
