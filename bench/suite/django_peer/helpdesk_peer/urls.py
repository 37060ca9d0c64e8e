"""django-helpdesk's own URLs at the root, so its DRF API is /api/tickets/."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls"))]
