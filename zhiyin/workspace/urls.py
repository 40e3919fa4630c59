from django.urls import path

from zhiyin.workspace import views

urlpatterns = [
    path("", views.home, name="home"),
    path("display/large-text/", views.display_large_text, name="display_large_text"),
]
