"""The trace pages keep the addresses they had when they lived in `audit` (/audit/trace/…),
so printed links and bookmarks still work."""

from django.urls import path

from zhiyin.oversight import views

urlpatterns = [
    path("audit/trace/<str:target_type>/<str:target_id>/", views.trace, name="audit_trace"),
    path(
        "audit/trace/<str:target_type>/<str:target_id>/bundle.json",
        views.trace_export,
        name="audit_trace_export",
    ),
    path(
        "audit/trace/<str:target_type>/<str:target_id>/trace.pdf",
        views.trace_pdf,
        name="audit_trace_pdf",
    ),
]
