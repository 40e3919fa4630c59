from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Staff sign-in hardening: two factors, password policy, login throttling and
    lockout (django-axes) with its audit trail and the admin unlock, signed-in sessions
    and the idle timeout."""

    name = "zhiyin.accounts"
    label = "accounts"
    verbose_name = _("登录安全")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from zhiyin.accounts.checks import webauthn_settings_check
        from zhiyin.accounts.lockout import lockout_audit
        from zhiyin.accounts.sessions import session_ended_on_logout, session_started_on_login

        user_locked_out.connect(lockout_audit, dispatch_uid="zhiyin-lockout-audit")
        user_logged_in.connect(session_started_on_login, dispatch_uid="zhiyin-session-login")
        user_logged_out.connect(session_ended_on_logout, dispatch_uid="zhiyin-session-logout")
        checks.register(webauthn_settings_check, checks.Tags.security)
