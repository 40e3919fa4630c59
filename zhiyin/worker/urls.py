from django.urls import path

from zhiyin.worker import views

urlpatterns = [path("healthz", views.healthz, name="healthz")]
