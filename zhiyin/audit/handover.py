"""Rotating the audit signing key with a signed hand-over checkpoint.

`key_handover(new)` (run with the old key still configured) appends to every log an event
`audit.key_handover` and then a checkpoint over it whose note carries an extension line
`zhiyin-key-handover <old vkey> <new vkey>` and is signed by **both** keys. From then on
the old key signs nothing more (`key_retired`); the installation is switched to the new
key. A verifier that trusts either key follows the hand-over: checkpoints before it are
checked under the old key, after it under the new one, the hand-over itself under both
(`checkpoint_vkeys`). `tools/zhiyin_verify.py` does the same offline.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from zhiyin.audit.models import Checkpoint
from zhiyin.audit.services import _lock_log, audit_record, log_names, log_origin
from zhiyin.audit.signing import (
    HANDOVER,
    NoteKey,
    handover_body,
    note_handover,
    note_sign_all,
    note_verify,
    signing_key,
)


class HandoverError(Exception):
    """The hand-over chain of a log does not connect to the key given."""


def key_retired(key: NoteKey) -> bool:
    """Whether a hand-over away from `key` exists: a process still configured with it
    must not sign another checkpoint."""
    return Checkpoint.objects.filter(note__contains=f"{HANDOVER} {key.vkey} ").exists()


def key_handover(new: NoteKey) -> list[Checkpoint]:
    """Hand every log over from the configured key to `new`; returns the hand-overs."""
    from zhiyin.audit.proofs import tree_for

    old = signing_key()
    if old.vkey == new.vkey:
        raise HandoverError("the new key is the key in use")
    if key_retired(old):
        raise HandoverError("the key in use was already handed over")
    made = []
    for log in log_names() or [""]:
        with transaction.atomic():
            event = audit_record(
                actor=None,
                action="audit.key_handover",
                after={"old_vkey": old.vkey, "new_vkey": new.vkey},
                log=log,
            )
            _lock_log(log)
            size = event.seq
            root = tree_for(size, log=log).root(size)
            origin = log_origin(old.name, log)
            note = note_sign_all(handover_body(origin, size, root, old.vkey, new.vkey), [old, new])
            made.append(
                Checkpoint.objects.create(
                    log=log,
                    tree_size=size,
                    root_hash=root.hex(),
                    created_at=timezone.now(),
                    origin=origin,
                    key_id=new.key_id.hex(),
                    note=note,
                )
            )
    return made


def checkpoint_vkeys(checkpoints: Sequence[Checkpoint], vkey: str) -> dict[int, str]:
    """For each checkpoint (by tree size) the verifier key its note must be signed by
    (a hand-over: the old one here, both checked here),
    starting from the trusted `vkey` and following the log's hand-overs both ways.
    `HandoverError` when a hand-over is not signed by both its keys, the hand-overs do
    not form one chain, or `vkey` is not one of the chain's keys."""
    ordered = sorted(checkpoints, key=lambda c: c.tree_size)
    handovers: list[tuple[int, str, str]] = []
    for checkpoint in ordered:
        pair = note_handover(checkpoint.note)
        if pair is None:
            continue
        old, new = pair
        for each in (old, new):
            try:
                note_verify(checkpoint.note, each)
            except ValueError as exc:
                raise HandoverError(
                    f"交接检查点（树大小 {checkpoint.tree_size}）没有新旧两把密钥的有效签名：{exc}"
                ) from exc
        if handovers and handovers[-1][2] != old:
            raise HandoverError(f"交接检查点（树大小 {checkpoint.tree_size}）接不上前一次交接")
        handovers.append((checkpoint.tree_size, old, new))
    chain = [handovers[0][1], *(new for _, _, new in handovers)] if handovers else [vkey]
    if vkey not in chain:
        raise HandoverError("给定的验证密钥不是该日志任何一段的签名密钥")
    keys: dict[int, str] = {}
    epoch = 0
    for checkpoint in ordered:
        keys[checkpoint.tree_size] = chain[epoch]
        if epoch < len(handovers) and checkpoint.tree_size == handovers[epoch][0]:
            epoch += 1
    return keys
