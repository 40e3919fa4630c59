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
    """The story of the object `target_type:target_id` in time order (its events may lie in
    more than one log: a person's logins are in the installation log); unscoped."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=target_id).order_by(
        "created_at", "log", "seq"
    )


def audit_event_get(*, seq: int, log: str = "") -> AuditEvent:
    """The event at `seq` of `log`; Http404 when there is none. Unscoped (see module)."""
    event = AuditEvent.objects.filter(log=log, seq=seq).first()
    if event is None:
        raise Http404
    return event


def checkpoint_latest(*, log: str = "") -> Checkpoint | None:
    """The signed checkpoint covering the most events of `log`, or None before the first."""
    return Checkpoint.objects.filter(log=log).order_by("-tree_size").first()


def checkpoint_get(*, tree_size: int, log: str = "") -> Checkpoint:
    """The checkpoint of exactly `tree_size` events of `log`; Http404 when none was signed."""
    checkpoint = Checkpoint.objects.filter(log=log, tree_size=tree_size).first()
    if checkpoint is None:
        raise Http404
    return checkpoint


def checkpoints_recent(*, limit: int = 100, log: str = "") -> list[Checkpoint]:
    """The newest `limit` checkpoints of `log`, newest first."""
    return list(Checkpoint.objects.filter(log=log).order_by("-tree_size")[:limit])
