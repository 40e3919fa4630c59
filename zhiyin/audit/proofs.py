"""Inclusion and consistency proofs for the stored log, from a per-process tree cache."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from zhiyin.audit.merkle import LeafTree, TreeCache, leaf_hash, verify_inclusion
from zhiyin.audit.models import AuditEvent, Checkpoint


class LogBrokenError(Exception):
    """The stored log has a gap: no proof can be given. `audit_verify` says more."""


_caches: dict[str, TreeCache] = {}
_caches_lock = threading.Lock()


def _cache_for(log: str) -> TreeCache:
    with _caches_lock:
        cache = _caches.get(log)
        if cache is None:
            cache = _caches[log] = TreeCache()
        return cache


def tree_for(size: int, *, log: str = "") -> LeafTree:
    """A tree holding at least the first `size` events of `log` (see `TreeCache`)."""
    _cache = _cache_for(log)
    events = AuditEvent.objects.filter(log=log)
    with _cache.lock:
        tree = _cache.tree
        have = tree.get_size()
        if have:
            stored = events.filter(seq=have).values_list("hash", flat=True).first()
            if stored != _cache.last_hash:
                _cache.reset()
                tree, have = _cache.tree, 0
        if have < size:
            expected, last, batch = have + 1, _cache.last_hash, []
            rows = (
                events.filter(seq__gt=have, seq__lte=size)
                .order_by("seq")
                .values_list("seq", "hash")
            )
            for seq, event_hash in rows.iterator(chunk_size=20000):
                if seq != expected:
                    raise LogBrokenError(f"seq {expected} is missing")
                batch.append(event_hash)
                expected, last = expected + 1, event_hash
            if expected != size + 1:
                raise LogBrokenError(f"seq {expected} is missing")
            tree.append_event_hashes(batch)
            _cache.last_hash = last
        return tree


def tree_cache_clear() -> None:
    with _caches_lock:
        _caches.clear()


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str
    verified: bool


def inclusion_proof(*, event: AuditEvent, checkpoint: Checkpoint) -> InclusionProof:
    """Proof that `event` is leaf `seq` of the tree the checkpoint signed.

    `verified` is the check of that proof against the signed root, done here so a page can
    show it; anyone can redo it offline from the other fields.
    """
    if event.log != checkpoint.log:
        raise ValueError("event and checkpoint belong to different logs")
    if event.seq > checkpoint.tree_size:
        raise ValueError("event is newer than the checkpoint")
    tree = tree_for(checkpoint.tree_size, log=checkpoint.log)
    path = tree.inclusion_path(event.seq, checkpoint.tree_size)
    leaf = leaf_hash(event.hash)
    return InclusionProof(
        seq=event.seq,
        tree_size=checkpoint.tree_size,
        leaf_hash=leaf.hex(),
        path=[p.hex() for p in path],
        root_hash=checkpoint.root_hash,
        verified=verify_inclusion(
            leaf=leaf,
            seq=event.seq,
            size=checkpoint.tree_size,
            path=path,
            root=bytes.fromhex(checkpoint.root_hash),
        ),
    )


def consistency_proof(*, first: Checkpoint, second: Checkpoint) -> list[str]:
    """RFC 9162 proof that `second`'s tree extends `first`'s (hex hashes)."""
    if first.log != second.log:
        raise ValueError("checkpoints of different logs")
    if first.tree_size > second.tree_size:
        first, second = second, first
    tree = tree_for(second.tree_size, log=second.log)
    return [p.hex() for p in tree.consistency_path(first.tree_size, second.tree_size)]
