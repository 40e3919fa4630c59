from django.urls import path

from zhiyin.catalog import views

urlpatterns = [
    path("", views.matter_list, name="matter_list"),
    path("<int:pk>/", views.matter_detail, name="matter_detail"),
    path("negative-list/", views.negative_list, name="negative_list"),
]
