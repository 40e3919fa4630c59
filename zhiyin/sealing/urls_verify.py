"""The public verification page, mounted at /verify/ (no login)."""

from django.urls import path

from zhiyin.sealing import views

urlpatterns = [
    path("", views.verify, name="verify"),
    path("c/<str:code>/", views.verify_code, name="verify_code"),
    path("c/<str:code>/page-1.png", views.verify_code_thumbnail, name="verify_code_thumbnail"),
    path("<str:number>/", views.verify_number, name="verify_number"),
]
