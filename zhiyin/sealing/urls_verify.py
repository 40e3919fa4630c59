"""The public verification page, mounted at /verify/ (no login)."""

from django.urls import path

from zhiyin.sealing import views

urlpatterns = [
    path("", views.verify, name="verify"),
    path("<str:number>/", views.verify_number, name="verify_number"),
]
