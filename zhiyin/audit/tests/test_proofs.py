"""The Merkle tree, its proofs and the signed checkpoint notes follow the standards, so any
RFC 9162 / C2SP verifier — not just ours — accepts them."""

from __future__ import annotations

import base64
import hashlib

import pytest
from pymerkle import InmemoryTree, verify_inclusion

from tools.zhiyin_verify import merkle_roots, verify_consistency
from tools.zhiyin_verify import verify_inclusion as rfc_verify_inclusion
from zhiyin.audit.merkle import LeafTree, leaf_hash
from zhiyin.audit.models import AuditEvent, Checkpoint
from zhiyin.audit.proofs import consistency_proof, inclusion_proof
from zhiyin.audit.services import checkpoint_create
from zhiyin.audit.signing import SIGNATURE_DASH, note_verify, signing_key
from zhiyin.audit.tests.conftest import record_events

HASHES = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(40)]


def _tree(n: int) -> LeafTree:
    tree = LeafTree()
    tree.append_event_hashes(HASHES[:n])
    return tree


def test_it_computes_the_same_roots_as_pymerkles_own_tree_and_the_offline_verifier() -> None:
    reference = InmemoryTree()
    tree = _tree(40)
    offline = merkle_roots([leaf_hash(h) for h in HASHES], set(range(1, 41)))
    for n in range(1, 41):
        reference.append_entry(bytes.fromhex(HASHES[n - 1]))
        assert tree.root(n) == reference.get_root() == offline[n]


def test_it_matches_rfc_6962_for_two_leaves() -> None:
    a, b = leaf_hash(HASHES[0]), leaf_hash(HASHES[1])
    assert a == hashlib.sha256(b"\x00" + bytes.fromhex(HASHES[0])).digest()
    assert _tree(2).root(2) == hashlib.sha256(b"\x01" + a + b).digest()


def test_its_inclusion_proofs_verify_with_pymerkle_and_rfc_9162() -> None:
    tree = _tree(40)
    for size in (1, 2, 3, 7, 8, 13, 32, 40):
        root = tree.root(size)
        for seq in range(1, size + 1):
            path = tree.inclusion_path(seq, size)
            leaf = tree.get_leaf(seq)
            assert rfc_verify_inclusion(leaf, seq - 1, size, path, root)
            verify_inclusion(leaf, root, tree.prove_inclusion(seq, size))
            assert not rfc_verify_inclusion(leaf, seq % size, size, path, root) or size == 1


def test_its_consistency_proofs_verify_with_rfc_9162() -> None:
    tree = _tree(40)
    for second in range(1, 41):
        for first in range(1, second + 1):
            path = tree.consistency_path(first, second)
            assert verify_consistency(first, second, path, tree.root(first), tree.root(second))
            if first < second:
                wrong = tree.root(first - 1) if first > 1 else b"\x00" * 32
                assert not verify_consistency(first, second, path, wrong, tree.root(second))


@pytest.mark.django_db
def test_it_signs_checkpoints_as_c2sp_notes_with_the_right_key_id() -> None:
    record_events(3)
    checkpoint = checkpoint_create()
    assert checkpoint is not None and checkpoint.tree_size == 3
    key = signing_key()
    body, signature = checkpoint.note.split("\n\n")
    assert body.split("\n") == [
        "zhiyin.test/audit",
        "3",
        base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode(),
    ]
    name, blob = signature.removeprefix(SIGNATURE_DASH + " ").strip().split(" ")
    assert name == "zhiyin.test/audit"
    expected_id = hashlib.sha256(name.encode() + b"\n\x01" + key.public_bytes).digest()[:4]
    assert base64.b64decode(blob)[:4] == expected_id
    assert note_verify(checkpoint.note, key.vkey) == body + "\n"
    with pytest.raises(ValueError, match="signature"):
        note_verify(checkpoint.note.replace("\n3\n", "\n4\n"), key.vkey)


@pytest.mark.django_db
def test_it_makes_no_new_checkpoint_when_nothing_happened() -> None:
    assert checkpoint_create() is None
    record_events(2)
    first = checkpoint_create()
    assert checkpoint_create() == first
    record_events(1)
    second = checkpoint_create()
    assert second is not None and second.tree_size == 3
    assert Checkpoint.objects.count() == 2


@pytest.mark.django_db
def test_it_proves_stored_events_against_stored_checkpoints() -> None:
    record_events(5)
    first = checkpoint_create()
    record_events(4)
    second = checkpoint_create()
    assert first is not None and second is not None
    for event in AuditEvent.objects.all():
        proof = inclusion_proof(event=event, checkpoint=second)
        assert proof.verified
    path = [bytes.fromhex(h) for h in consistency_proof(first=first, second=second)]
    assert verify_consistency(
        5, 9, path, bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash)
    )


@pytest.mark.django_db
def test_the_periodic_task_builds_a_checkpoint() -> None:
    from django.conf import settings

    from zhiyin.audit.tasks import checkpoint_build

    assert ("zhiyin.audit.tasks.checkpoint_build", 600) in settings.PERIODIC_TASKS
    record_events(2)
    assert checkpoint_build.call() == 2
