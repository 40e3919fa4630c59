"""What sign-in hardening keeps: the hashes of a person's earlier passwords (so a new one
may not repeat them, and so the age of the current one is known) and the signed-in
sessions of staff (so a person can see where they are signed in and end any of them)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PasswordHistory(models.Model):
    """One password a person has set: its hash (the same hasher as the live one) and
    when. The newest row is the current password; its `set_at` is the password's age."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password_hash = models.CharField(max_length=256)
    set_at = models.DateTimeField(_("设置时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering: ClassVar = ["-set_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.set_at:%Y-%m-%d}"


class StaffSession(models.Model):
    """One signed-in browser session of a person: the device (browser's own description),
    the address, when it began and when it was last used. `ended_at` is set when it is
    signed out, timed out or ended from another device; the session itself is deleted
    from the session store then."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(_("设备"), max_length=300, blank=True)
    address = models.CharField(_("网络地址"), max_length=45, blank=True)
    started_at = models.DateTimeField(_("登录时间"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("最近使用"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        ordering: ClassVar = ["-last_seen_at"]
        indexes: ClassVar = [
            models.Index(fields=["person", "ended_at"], name="staffsession_person_open")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.address}"
