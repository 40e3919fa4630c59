from django.urls import path

from zhiyin.seals import views

urlpatterns = [
    path("", views.seal_list, name="seal_list"),
    path("<int:pk>/", views.seal_detail, name="seal_detail"),
    path("<int:pk>/status/", views.seal_status_change, name="seal_status_change"),
    path("<int:pk>/electronic/", views.electronic_seal_issue_view, name="electronic_seal_issue"),
    path("<int:pk>/stamp.png", views.seal_stamp, name="seal_stamp"),
]
