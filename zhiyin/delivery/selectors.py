"""Reads of notifications: a person sees only their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhiyin.delivery.models import Notification


def notifications_for(*, person: Any, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.filter(person=person)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes
