from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Staff sign-in hardening: login throttling and lockout (django-axes), its audit
    trail and the admin unlock."""

    name = "zhiyin.accounts"
    label = "accounts"
    verbose_name = _("登录安全")

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from zhiyin.accounts.lockout import lockout_audit

        user_locked_out.connect(lockout_audit, dispatch_uid="zhiyin-lockout-audit")
