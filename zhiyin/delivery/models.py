"""What the platform tells people: in-app notifications (站内通知).

`delivery` is infrastructure: it knows people (the auth user model) but no domain app.
Domain services hand it a person, a text, a link and an event name inside their own
transaction; a notification exists exactly when the change that caused it committed.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message shown in a person's notification list until they read it."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    text = models.CharField(_("内容"), max_length=300)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    event = models.CharField(_("事件"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["person", "read_at"], name="notification_person_unread"),
        ]

    def __str__(self) -> str:
        return self.text
