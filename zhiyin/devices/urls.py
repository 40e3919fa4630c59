from django.urls import path

from zhiyin.devices import views

urlpatterns = [
    path("", views.device_list, name="device_list"),
    path("new/", views.device_create, name="device_create"),
    path("<int:pk>/", views.device_detail, name="device_detail"),
    path("<int:pk>/manage/", views.device_manage, name="device_manage"),
    path("<int:pk>/emergency/", views.device_emergency, name="device_emergency"),
    path("requests/<int:pk>/", views.request_stamping, name="device_request"),
    path("requests/<int:pk>/authorize/", views.request_authorize, name="device_request_authorize"),
    path(
        "authorizations/<int:pk>/confirm/",
        views.authorization_confirm,
        name="device_authorization_confirm",
    ),
    path(
        "authorizations/<int:pk>/revoke/",
        views.authorization_revoke,
        name="device_authorization_revoke",
    ),
    path(
        "authorizations/<int:pk>/approve/",
        views.emergency_approve_view,
        name="device_emergency_approve",
    ),
    path(
        "authorizations/<int:pk>/sheet/",
        views.authorization_sheet,
        name="device_authorization_sheet",
    ),
    path("photos/<str:sha256>", views.photo_view, name="device_photo"),
]
