from rest_framework import serializers

from revisbali_worker.fields import FileURLField

from .models import Document


class DocumentSerializer(serializers.ModelSerializer):
    url = FileURLField(source="file")

    class Meta:
        model = Document
        fields = ["id", "file", "url"]
