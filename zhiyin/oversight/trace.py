"""An object's story for the trace page: events in order, the time between them, and for
each a "verified" mark backed by its inclusion proof against the latest signed checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from zhiyin.audit.models import AuditEvent, Checkpoint
from zhiyin.audit.proofs import LogBrokenError, inclusion_proof
from zhiyin.audit.selectors import checkpoint_latest
from zhiyin.audit.services import event_hash
from zhiyin.audit.signing import note_verify, signing_key


@dataclass(frozen=True)
class TraceRow:
    event: AuditEvent
    since_previous: str
    verified: bool
    pending: bool  # newer than the latest checkpoint: proven at the next one


def duration_text(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d 分 %(s)d 秒") % {"m": minutes, "s": seconds}
    return _("%(s)d 秒") % {"s": seconds}


def checkpoint_signature_ok(checkpoint: Checkpoint | None) -> bool:
    if checkpoint is None:
        return False
    try:
        note_verify(checkpoint.note, signing_key().vkey)
    except ValueError:
        return False
    return True


def trace_rows(events: list[AuditEvent], checkpoint: Checkpoint | None) -> list[TraceRow]:
    """Each event with its proof mark, against `checkpoint` for the events of its log and
    against the latest checkpoint of their own log for the others."""
    latest: dict[str, Checkpoint | None] = {checkpoint.log: checkpoint} if checkpoint else {}
    signed_logs: dict[str, bool] = {}
    rows: list[TraceRow] = []
    previous: AuditEvent | None = None
    for event in events:
        if event.log not in latest:
            latest[event.log] = checkpoint_latest(log=event.log)
        checkpoint = latest[event.log]
        if event.log not in signed_logs:
            signed_logs[event.log] = checkpoint_signature_ok(checkpoint)
        signed = signed_logs[event.log]
        pending = checkpoint is None or event.seq > checkpoint.tree_size
        verified = False
        if not pending and signed and checkpoint is not None and event_hash(event) == event.hash:
            try:
                verified = inclusion_proof(event=event, checkpoint=checkpoint).verified
            except LogBrokenError:
                verified = False
        since = duration_text(event.created_at - previous.created_at) if previous else ""
        rows.append(TraceRow(event=event, since_previous=since, verified=verified, pending=pending))
        previous = event
    return rows
