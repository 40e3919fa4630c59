from django.urls import path

from zhiyin.workspace import views

urlpatterns = [
    path("", views.home, name="home"),
]
