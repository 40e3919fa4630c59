from django.urls import path

from zhiyin.audit import views

urlpatterns = [
    path("trace/<str:target_type>/<str:target_id>/", views.trace, name="audit_trace"),
    path(
        "trace/<str:target_type>/<str:target_id>/bundle.json",
        views.trace_export,
        name="audit_trace_export",
    ),
    path(
        "trace/<str:target_type>/<str:target_id>/trace.pdf", views.trace_pdf, name="audit_trace_pdf"
    ),
]
