from django.urls import path

from zhiyin.accounts import views

urlpatterns = [
    path("accounts/lockouts/", views.lockouts, name="accounts_lockouts"),
    path("accounts/lockouts/clear/", views.lockout_clear_view, name="accounts_lockout_clear"),
]
