from django.urls import path

from zhiyin.accounts import views, views_twofactor

urlpatterns = [
    path("accounts/lockouts/", views.lockouts, name="accounts_lockouts"),
    path("accounts/lockouts/clear/", views.lockout_clear_view, name="accounts_lockout_clear"),
    path("accounts/2fa/enrol/", views_twofactor.enrol, name="accounts_enrol"),
    path("accounts/2fa/", views_twofactor.second_factor, name="accounts_second_factor"),
]
