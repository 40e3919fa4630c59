"""Bundles for the offline verifier (tools/zhiyin_verify.py): everything needed to check
events without the server — their stored fields and hashes, signed checkpoints, the
verifier key, and Merkle proofs tying the events to a checkpoint.

A *full* bundle holds every event from seq 1 and every checkpoint: the verifier re-walks
the chain and rebuilds the tree. A *target* bundle holds one object's events with an
inclusion proof for each against the latest checkpoint (built first, so every event is
covered), plus optionally a consistency proof from an older checkpoint the inspector
kept. The format is described in docs/audit.md.

A bundle holds one log: a district's (`log` is its name) or the installation log (`log`
empty). The offline verifier checks that every event and checkpoint belongs to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from zhiyin.audit.models import AuditEvent, Checkpoint
from zhiyin.audit.proofs import consistency_proof, inclusion_proof
from zhiyin.audit.services import checkpoint_create
from zhiyin.audit.signing import HANDOVER, signing_key

BUNDLE_FORMAT = "zhiyin-audit-bundle/1"


def event_export(event: AuditEvent) -> dict[str, Any]:
    """The hashed fields exactly as they enter the canonical text, plus the two hashes."""
    log = {"log": event.log} if event.log else {}
    return {
        **log,
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
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _checkpoint_export(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "created_at": checkpoint.created_at.isoformat(),
        "note": checkpoint.note,
    }


def bundle_full(*, log: str = "") -> dict[str, Any]:
    checkpoint_create(log=log)
    checkpoints = list(Checkpoint.objects.filter(log=log).order_by("tree_size"))
    events = AuditEvent.objects.filter(log=log).order_by("seq")
    return {
        "format": BUNDLE_FORMAT,
        "log": log,
        "complete": True,
        "vkey": signing_key().vkey,
        "events": [event_export(e) for e in events.iterator()],
        "checkpoints": [_checkpoint_export(c) for c in checkpoints],
        "inclusion_proofs": [],
        "consistency_proofs": [
            {
                "first": a.tree_size,
                "second": b.tree_size,
                "path": consistency_proof(first=a, second=b),
            }
            for a, b in pairwise(checkpoints)
        ],
    }


def bundle_for_events(
    events: Iterable[AuditEvent], *, consistency_from: int | None = None, log: str | None = None
) -> dict[str, Any]:
    """The events of one log (`log`, by default the log of the last event given) with
    their proofs; events of another log go in that log's own bundle."""
    events = list(events)
    if log is None:
        log = events[-1].log if events else ""
    latest = checkpoint_create(log=log)
    covered = latest.tree_size if latest is not None else 0
    # Newer events go in the next export.
    chosen = [e for e in events if e.log == log and e.seq <= covered]
    checkpoints = [latest] if latest is not None else []
    consistency: list[dict[str, Any]] = []
    if latest is not None and consistency_from is not None:
        older = Checkpoint.objects.get(log=log, tree_size=consistency_from)
        checkpoints.insert(0, older)
        consistency.append(
            {
                "first": older.tree_size,
                "second": latest.tree_size,
                "path": consistency_proof(first=older, second=latest),
            }
        )
    # Key hand-overs let a verifier holding the old (or the new) key follow the rotation.
    included = {c.tree_size for c in checkpoints}
    handovers = Checkpoint.objects.filter(log=log, note__contains=HANDOVER).order_by("tree_size")
    checkpoints = sorted(
        [*checkpoints, *(c for c in handovers if c.tree_size not in included)],
        key=lambda c: c.tree_size,
    )
    proofs = []
    if latest is not None:
        for event in chosen:
            proof = inclusion_proof(event=event, checkpoint=latest)
            proofs.append({"seq": proof.seq, "tree_size": proof.tree_size, "path": proof.path})
    return {
        "format": BUNDLE_FORMAT,
        "log": log,
        "complete": False,
        "vkey": signing_key().vkey,
        "events": [event_export(e) for e in chosen],
        "checkpoints": [_checkpoint_export(c) for c in checkpoints],
        "inclusion_proofs": proofs,
        "consistency_proofs": consistency,
    }
