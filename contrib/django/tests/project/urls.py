from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import path
from django.views.static import serve

from .documents.views import DocumentDetail

urlpatterns = [
    path("api/documents/<int:pk>/", DocumentDetail.as_view()),
    path("admin/", admin.site.urls),
]
if not settings.USE_CLOUD_STORAGE:
    # What the web server does in production (and runserver in development):
    # serve MEDIA_ROOT under MEDIA_URL. static() does nothing unless DEBUG.
    urlpatterns.append(
        path(settings.MEDIA_URL.lstrip("/") + "<path:path>", serve, {"document_root": settings.MEDIA_ROOT})
    )
