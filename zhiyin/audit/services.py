"""`audit_record`: the one way anything is written to the log.

Called by domain services inside their own `transaction.atomic()` block. Appends are
serialized so the sequence stays gap-free and the chain linear even with several app
processes: PostgreSQL takes a transaction-scoped advisory lock; SQLite already allows one
writer at a time (the settings open write transactions with BEGIN IMMEDIATE).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from zhiyin.audit.context import current_request_context
from zhiyin.audit.models import GENESIS_HASH, AuditEvent

_ADVISORY_LOCK_KEY = 0x7A68_6979  # "zhiy"


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same data always gives the same text."""
    if data is None:
        return ""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_canonical_text(event: AuditEvent) -> str:
    """Every stored field but the hashes, in a fixed order, as the hash input."""
    return canonical_json(
        {
            "seq": event.seq,
            "created_at": event.created_at.isoformat(),
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "role": event.role,
            "scope": event.scope,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "target_label": event.target_label,
            "before": event.before,
            "after": event.after,
            "request_id": event.request_id,
            "client_ip": event.client_ip,
        }
    )


def event_hash(event: AuditEvent) -> str:
    text = event_canonical_text(event)
    return hashlib.sha256((event.prev_hash + "\n" + text).encode("utf-8")).hexdigest()


def _lock_log() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    role: str = "",
    scope: str = "",
    target_label: str = "",
) -> AuditEvent:
    """Append one event. `actor` is a Person or None (the system itself)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    _lock_log()
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    context = current_request_context()
    event = AuditEvent(
        seq=(last["seq"] + 1) if last else 1,
        created_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_name=(getattr(actor, "real_name", "") or getattr(actor, "username", ""))[:100]
        if actor is not None
        else "",
        role=role,
        scope=scope[:100],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        before=canonical_json(before),
        after=canonical_json(after),
        request_id=context.request_id,
        client_ip=context.client_ip,
        prev_hash=last["hash"] if last else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


def audit_record_standalone(**kwargs: Any) -> AuditEvent:
    """For events that are not part of a data change (a login, a refused request)."""
    with transaction.atomic():
        return audit_record(**kwargs)
