from __future__ import annotations

from django.urls import path

from zhiyin.delivery import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("delivery/documents/<str:token>/", views.document_download, name="delivery_document"),
]
