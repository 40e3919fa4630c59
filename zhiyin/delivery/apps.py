from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "zhiyin.delivery"
    label = "delivery"
    verbose_name = _("送达与通知")

    def ready(self) -> None:
        from zhiyin.delivery.checks import sms_senders_check

        checks.register(sms_senders_check, checks.Tags.security)
        # The web server (gunicorn) runs no system checks: with DEBUG off, refuse to
        # start here instead of "sending" text messages nobody receives.
        if not settings.DEBUG:
            problems = sms_senders_check()
            if problems:
                raise ImproperlyConfigured("\n".join(f"{p.msg} {p.hint}" for p in problems))
