from django.urls import include, path

from zhiyin.accounts import views, views_admins, views_security, views_twofactor, views_webauthn

urlpatterns = [
    path("accounts/lockouts/", views.lockouts, name="accounts_lockouts"),
    path("accounts/lockouts/clear/", views.lockout_clear_view, name="accounts_lockout_clear"),
    path("accounts/2fa/enrol/", views_twofactor.enrol, name="accounts_enrol"),
    path("accounts/2fa/", views_twofactor.second_factor, name="accounts_second_factor"),
    path("accounts/2fa/webauthn/", include(views_webauthn.ceremony_patterns)),
    path("accounts/security/", views_security.security, name="accounts_security"),
    path(
        "accounts/security/recovery-codes/",
        views_security.recovery_codes,
        name="accounts_recovery_codes",
    ),
    path(
        "accounts/security/keys/<int:pk>/remove/",
        views_webauthn.security_key_remove_view,
        name="accounts_security_key_remove",
    ),
    path(
        "accounts/security/sessions/<int:pk>/end/",
        views_security.session_end_view,
        name="accounts_session_end",
    ),
    path(
        "accounts/security/sessions/end-all/",
        views_security.sessions_end_all_view,
        name="accounts_sessions_end_all",
    ),
    path("accounts/staff/", views_admins.staff_factors, name="accounts_staff_factors"),
    path(
        "accounts/staff/<int:pk>/second-factor/reset/",
        views_admins.second_factor_reset_view,
        name="accounts_second_factor_reset",
    ),
    path("accounts/security-log/", views_admins.security_log, name="accounts_security_log"),
]
