"""Oversight pages. The trace pages keep the addresses they had when they lived in
`audit` (/audit/trace/…), so printed links and bookmarks still work."""

from django.urls import path

from zhiyin.oversight import views, views_reports, views_warnings

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
    # The inspector's workbench, statistics and ledgers.
    path("oversight/", views_warnings.workbench, name="oversight_workbench"),
    path("oversight/warnings/<int:pk>/", views_warnings.warning_detail, name="oversight_warning"),
    path(
        "oversight/warnings/<int:pk>/rectify/",
        views_warnings.warning_rectify_view,
        name="oversight_warning_rectify",
    ),
    path(
        "oversight/warnings/<int:pk>/close/",
        views_warnings.warning_close_view,
        name="oversight_warning_close",
    ),
    path(
        "oversight/warnings/<int:pk>/dismiss/",
        views_warnings.warning_dismiss_view,
        name="oversight_warning_dismiss",
    ),
    path(
        "oversight/warnings/<int:pk>/dismiss/decide/",
        views_warnings.warning_dismiss_decide_view,
        name="oversight_warning_dismiss_decide",
    ),
    path(
        "oversight/warnings/<int:pk>/evidence/<int:evidence_pk>/",
        views_warnings.evidence_download,
        name="oversight_evidence",
    ),
    path("oversight/statistics/", views_reports.statistics, name="oversight_statistics"),
    path("oversight/ledger/", views_reports.ledger, name="oversight_ledger"),
    path(
        "oversight/ledger/exports/",
        views_reports.ledger_export_create,
        name="oversight_ledger_export_create",
    ),
    path(
        "oversight/ledger/exports/<int:pk>/",
        views_reports.ledger_export_detail,
        name="oversight_ledger_export",
    ),
    path(
        "oversight/ledger/exports/<int:pk>/download/",
        views_reports.ledger_export_download,
        name="oversight_ledger_export_download",
    ),
    # 村务公开: no login.
    path("public/ledger/<str:code>/", views_reports.public_ledger, name="public_ledger"),
]
