from django.urls import path

from zhiyin.approvals import views

urlpatterns = [
    path("", views.request_list, name="seal_request_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("new/", views.request_create, name="seal_request_create"),
    path("<int:pk>/", views.request_detail, name="seal_request_detail"),
    path("<int:pk>/edit/", views.request_edit, name="seal_request_edit"),
    path("<int:pk>/submit/", views.request_submit, name="seal_request_submit"),
    path("<int:pk>/decide/", views.request_decide, name="seal_request_decide"),
    path("<int:pk>/withdraw/", views.request_withdraw, name="seal_request_withdraw"),
    path("<int:pk>/remind/", views.request_remind, name="seal_request_remind"),
    path("<int:pk>/complete/", views.request_complete, name="seal_request_complete"),
    path(
        "<int:pk>/documents/<int:document_pk>/",
        views.document_download,
        name="seal_request_document",
    ),
    path(
        "<int:pk>/documents/<int:document_pk>/pages/<int:page>.png",
        views.document_page,
        name="seal_request_document_page",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="seal_request_attachment",
    ),
]
