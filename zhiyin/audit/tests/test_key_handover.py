"""Rotating the audit signing key: a hand-over checkpoint signed by the old and the new
key; the server, `audit_verify` and the offline verifier follow it from either key; the
old key signs nothing after it; a hand-over not signed by both is refused."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tools.zhiyin_verify import VerifyError, verify_bundle
from zhiyin.audit.export import bundle_for_events, bundle_full
from zhiyin.audit.models import AuditEvent, Checkpoint
from zhiyin.audit.services import checkpoint_create
from zhiyin.audit.signing import (
    HANDOVER,
    handover_body,
    load_key,
    note_sign_all,
)
from zhiyin.audit.tests.conftest import record_events
from zhiyin.audit.verify import log_verify

pytestmark = pytest.mark.django_db

OLD = base64.b64encode(bytes(range(32))).decode()
NEW = base64.b64encode(bytes(range(50, 82))).decode()
OTHER = base64.b64encode(bytes(range(90, 122))).decode()


@pytest.fixture
def rotated(settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Three events and a checkpoint under the old key; the hand-over; two more events and
    a checkpoint under the new key."""
    settings.AUDIT_SIGNING_KEY = OLD
    record_events(3)
    checkpoint_create()
    new_file = tmp_path / "new.key"
    new_file.write_text(NEW)
    call_command("audit_key_rotate", "--new-key-file", str(new_file))
    # A process still configured with the old key signs nothing more.
    record_events(1)
    assert checkpoint_create().tree_size == 4  # type: ignore[union-attr]  # the hand-over
    settings.AUDIT_SIGNING_KEY = NEW
    record_events(1)
    checkpoint_create()
    return {"old": load_key(OLD).vkey, "new": load_key(NEW).vkey}


def test_the_hand_over_is_signed_by_both_and_the_chain_verifies_from_either_key(
    rotated: dict[str, Any],
) -> None:
    handover = Checkpoint.objects.get(tree_size=4)
    assert f"{HANDOVER} {rotated['old']} {rotated['new']}" in handover.note
    assert handover.note.count("\u2014 ") == 2
    assert AuditEvent.objects.filter(action="audit.key_handover", seq=4).exists()
    latest = Checkpoint.objects.order_by("-tree_size").first()
    assert latest is not None and latest.tree_size == 6 and latest.note.count("\u2014 ") == 1
    for vkey in (rotated["old"], rotated["new"]):
        report = log_verify(vkey=vkey)
        assert report.ok, report.problem
        assert report.checkpoints == 3
        verify_bundle(bundle_full(), vkey)
        # A one-object bundle holds only the latest checkpoint and the hand-over.
        verify_bundle(bundle_for_events(AuditEvent.objects.filter(seq=2)), vkey)
    call_command("audit_verify")  # the server's own (new) key
    call_command("audit_verify", "--vkey", rotated["old"])
    other = load_key(OTHER).vkey
    assert not log_verify(vkey=other).ok
    with pytest.raises(VerifyError, match="none of the keys"):
        verify_bundle(bundle_full(), other)


def test_a_hand_over_signed_by_the_new_key_alone_is_refused(rotated: dict[str, Any]) -> None:
    """An attacker with a key of their own forges a hand-over to it: not signed by the
    old key, so nobody who trusts the old key follows it."""
    bundle = bundle_full()
    forged = copy.deepcopy(bundle)
    attacker = load_key(OTHER)
    handover = next(cp for cp in forged["checkpoints"] if HANDOVER in cp["note"])
    body = handover["note"].rpartition("\n\n")[0] + "\n"
    body = body.replace(rotated["new"], attacker.vkey)
    handover["note"] = note_sign_all(body, [attacker])
    with pytest.raises(VerifyError, match="not signed by both keys"):
        verify_bundle(forged, rotated["old"])
    # The same on the server: a hand-over checkpoint planted in the database.
    event = record_events(1)[0]
    from zhiyin.audit.proofs import tree_for

    root = tree_for(event.seq).root(event.seq)
    origin = Checkpoint.objects.get(tree_size=4).origin
    Checkpoint.objects.create(
        tree_size=event.seq,
        root_hash=root.hex(),
        created_at=event.created_at,
        origin=origin,
        key_id=attacker.key_id.hex(),
        note=note_sign_all(
            handover_body(origin, event.seq, root, rotated["new"], attacker.vkey), [attacker]
        ),
    )
    report = log_verify(vkey=rotated["old"])
    assert not report.ok and "新旧两把密钥" in str(report.problem)


def test_a_retired_key_cannot_be_rotated_again(
    rotated: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_SIGNING_KEY = OLD
    key_file = tmp_path / "other.key"
    key_file.write_text(OTHER)
    with pytest.raises(CommandError, match="already handed over"):
        call_command("audit_key_rotate", "--new-key-file", str(key_file))
    settings.AUDIT_SIGNING_KEY = NEW
    call_command("audit_key_rotate", "--new-key-file", str(key_file))
    settings.AUDIT_SIGNING_KEY = OTHER
    record_events(1)
    checkpoint_create()
    for vkey in (rotated["old"], rotated["new"], load_key(OTHER).vkey):
        assert log_verify(vkey=vkey).ok
        verify_bundle(bundle_full(), vkey)
