from django.urls import path

from zhiyin.sealing import views

urlpatterns = [
    path("", views.sealing_index, name="sealing_index"),
    path("requests/<int:pk>/", views.request_seal, name="sealing_request"),
    path(
        "requests/<int:pk>/documents/<int:document_pk>/pages/<int:page>.png",
        views.page_preview,
        name="sealing_page_preview",
    ),
    path(
        "documents/<int:pk>/pages/<int:page>.png",
        views.sealed_document_page,
        name="sealed_document_page",
    ),
    path(
        "documents/<int:pk>/download/",
        views.sealed_document_download,
        name="sealed_document_download",
    ),
]
