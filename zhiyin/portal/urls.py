from django.urls import path

from zhiyin.portal.views import applications, clerk, login, register

urlpatterns = [
    path("", applications.portal_home, name="portal_home"),
    path("login/", login.portal_login, name="portal_login"),
    path("login/idp/", login.portal_idp_start, name="portal_idp_start"),
    path("login/idp/callback/", login.portal_idp_callback, name="portal_idp_callback"),
    path("ask/", applications.portal_ask, name="portal_ask"),
    path("my-data/", applications.portal_my_data, name="portal_my_data"),
    path("services/<slug:code>/", applications.portal_service, name="portal_service"),
    path("services/<slug:code>/step/<int:page>/", applications.portal_step, name="portal_step"),
    path("services/<slug:code>/confirm/", applications.portal_confirm, name="portal_confirm"),
    path("applications/<int:pk>/", applications.portal_application, name="portal_application"),
    path(
        "applications/<int:pk>/edit/",
        applications.portal_application_edit,
        name="portal_application_edit",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        applications.portal_application_withdraw,
        name="portal_application_withdraw",
    ),
    path(
        "applications/<int:pk>/files/<int:file_pk>/", applications.portal_file, name="portal_file"
    ),
    path("clerk/", clerk.portal_clerk, name="portal_clerk"),
    path(
        "clerk/applications/<int:pk>/",
        clerk.portal_clerk_application,
        name="portal_clerk_application",
    ),
    path("register/import/", register.portal_register_import, name="portal_register_import"),
]
