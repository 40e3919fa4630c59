"""Reads of the log. The log knows no other app: who may read an object's story is decided
by the caller (the trace pages and proof API in `zhiyin.oversight` scope it), so these take
plain target types and ids and never a person."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404

from zhiyin.audit.models import AuditEvent, Checkpoint


def audit_events_for_target(*, target: Model) -> QuerySet[AuditEvent]:
    """The story of one object, oldest first. Callers have already checked the viewer's scope."""
    return AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))


def audit_events_for(*, target_type: str, target_id: str) -> QuerySet[AuditEvent]:
    """The story of the object `target_type:target_id` in log order; unscoped (see module)."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).order_by("seq")


def audit_event_get(*, seq: int) -> AuditEvent:
    """The event at `seq`; Http404 when there is none. Unscoped (see module)."""
    event = AuditEvent.objects.filter(seq=seq).first()
    if event is None:
        raise Http404
    return event


def checkpoint_latest() -> Checkpoint | None:
    """The signed checkpoint covering the most events, or None before the first one."""
    return Checkpoint.objects.order_by("-tree_size").first()


def checkpoint_get(*, tree_size: int) -> Checkpoint:
    """The checkpoint of exactly `tree_size` events; Http404 when none was signed."""
    checkpoint = Checkpoint.objects.filter(tree_size=tree_size).first()
    if checkpoint is None:
        raise Http404
    return checkpoint


def checkpoints_recent(*, limit: int = 100) -> list[Checkpoint]:
    """The newest `limit` checkpoints, newest first."""
    return list(Checkpoint.objects.order_by("-tree_size")[:limit])
