"""Reads of the log, scoped by the caller."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from zhiyin.audit.models import AuditEvent


def audit_events_for_target(*, target: Model) -> QuerySet[AuditEvent]:
    """The story of one object, oldest first. Callers have already checked the viewer's scope."""
    return AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
