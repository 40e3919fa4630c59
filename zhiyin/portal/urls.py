from django.urls import path

from zhiyin.portal import views

urlpatterns = [
    path("", views.portal_home, name="portal_home"),
    path("login/", views.portal_login, name="portal_login"),
    path("login/idp/", views.portal_idp_start, name="portal_idp_start"),
    path("login/idp/callback/", views.portal_idp_callback, name="portal_idp_callback"),
    path("ask/", views.portal_ask, name="portal_ask"),
    path("services/<slug:code>/", views.portal_service, name="portal_service"),
    path("services/<slug:code>/step/<int:page>/", views.portal_step, name="portal_step"),
    path("services/<slug:code>/confirm/", views.portal_confirm, name="portal_confirm"),
    path("applications/<int:pk>/", views.portal_application, name="portal_application"),
    path(
        "applications/<int:pk>/edit/", views.portal_application_edit, name="portal_application_edit"
    ),
    path(
        "applications/<int:pk>/withdraw/",
        views.portal_application_withdraw,
        name="portal_application_withdraw",
    ),
    path("applications/<int:pk>/files/<int:file_pk>/", views.portal_file, name="portal_file"),
    path("clerk/", views.portal_clerk, name="portal_clerk"),
    path(
        "clerk/applications/<int:pk>/",
        views.portal_clerk_application,
        name="portal_clerk_application",
    ),
    path("register/import/", views.portal_register_import, name="portal_register_import"),
]
