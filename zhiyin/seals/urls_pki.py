"""Public PKI addresses: stable, no login, mounted at /pki/."""

from django.urls import path

from zhiyin.seals import views

urlpatterns = [
    path("crl/<str:code>.crl", views.pki_crl, name="pki_crl"),
    path("root/<str:code>.crt", views.pki_root, {"fmt": "crt"}, name="pki_root"),
    path("root/<str:code>.pem", views.pki_root, {"fmt": "pem"}, name="pki_root_pem"),
]
