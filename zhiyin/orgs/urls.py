from django.urls import path

from zhiyin.orgs import bureau_inbox, views, views_personal

urlpatterns = [
    path("villages/<int:pk>/", views.village_detail, name="village_detail"),
    path(
        "villages/<int:pk>/residents/<int:person_pk>/personal-data/",
        views_personal.resident_personal_data,
        name="resident_personal_data",
    ),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("bureau/", bureau_inbox.bureau_inbox, name="bureau_inbox"),
    path("bureau/<int:pk>/", bureau_inbox.bureau_delivery_detail, name="bureau_delivery_detail"),
    path(
        "bureau/<int:pk>/document/",
        bureau_inbox.bureau_delivery_document,
        name="bureau_delivery_document",
    ),
    path(
        "bureau/<int:pk>/acknowledge/",
        bureau_inbox.bureau_delivery_acknowledge,
        name="bureau_delivery_acknowledge",
    ),
]
