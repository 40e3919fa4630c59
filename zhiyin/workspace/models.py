"""How a person wants pages shown: the large-type mode (长辈版).

Stored per person, so it follows them to another phone once they sign in; anonymous
visitors (a resident on the login page) keep it in a cookie. The cookie also carries it
across sign-in: a person without a stored choice gets the cookie's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisplayPreference(models.Model):
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="display_preference"
    )
    large_text = models.BooleanField(_("长辈版（大字）"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("显示偏好")
        verbose_name_plural = _("显示偏好")

    def __str__(self) -> str:
        return str(self.person)
