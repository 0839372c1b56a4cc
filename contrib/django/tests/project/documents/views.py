from rest_framework.generics import RetrieveAPIView

from .models import Document
from .serializers import DocumentSerializer


class DocumentDetail(RetrieveAPIView):
    queryset = Document.objects.all()
    serializer_class = DocumentSerializer
