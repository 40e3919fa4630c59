"""Any change to the stored log is found by `audit_verify`, naming the first bad event."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from zhiyin.audit.models import AuditEvent, Checkpoint
from zhiyin.audit.services import checkpoint_create, event_hash
from zhiyin.audit.signing import signing_key
from zhiyin.audit.tests.conftest import record_events, triggers_bypassed
from zhiyin.audit.verify import (
    CHANGED,
    CHECKPOINT_MISMATCH,
    MISSING,
    REORDERED,
    TRIGGERS_MISSING,
    log_verify,
)

pytestmark = pytest.mark.django_db


def _verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def _problem() -> tuple[int, str]:
    report = log_verify(vkey=signing_key().vkey, check_triggers=False)
    assert report.problem is not None
    return report.problem.seq, report.problem.kind


def test_it_reports_an_untouched_log_as_intact() -> None:
    record_events(7)
    checkpoint_create()
    record_events(2)
    line = _verify()
    assert line.startswith("audit log intact: 9 events, chain OK, 1 signed checkpoints match")
    assert line.count("\n") == 1


def test_it_reports_an_empty_log_as_intact() -> None:
    assert "0 events" in _verify()


def test_it_refuses_update_and_delete_of_events_in_the_database() -> None:
    record_events(2)
    for statement in (
        "UPDATE audit_auditevent SET actor_name = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 2",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.count() == 2
    assert AuditEvent.objects.get(seq=1).actor_name == ""


def test_it_refuses_update_and_delete_of_checkpoints_in_the_database() -> None:
    record_events(1)
    checkpoint_create()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Checkpoint.objects.update(root_hash="0" * 64)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Checkpoint.objects.all().delete()
    assert Checkpoint.objects.count() == 1


TAMPERED = {
    "created_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    "actor_id": 42,
    "actor_name": "冒名",
    "role": "admin",
    "scope": "北岭村",
    "action": "seal.retire",
    "target_type": "seals.seal",
    "target_id": "9",
    "target_label": "假对象",
    "before": '{"a":1}',
    "after": '{"a":2}',
    "request_id": "f" * 32,
    "client_ip": "10.0.0.9",
    "prev_hash": "1" * 64,
    "hash": "2" * 64,
}


@pytest.mark.parametrize("field", sorted(TAMPERED))
def test_it_names_the_event_whose_field_was_changed(field: str) -> None:
    record_events(6)
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=4).update(**{field: TAMPERED[field]})
    assert _problem() == (4, CHANGED)
    with pytest.raises(CommandError, match="seq 4: changed"):
        _verify()


def test_it_names_a_renumbered_event_as_the_missing_one() -> None:
    record_events(6)
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=4).update(seq=99)
    assert _problem() == (4, MISSING)


def test_it_names_a_deleted_event() -> None:
    record_events(6)
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=3).delete()
    assert _problem() == (3, MISSING)
    with pytest.raises(CommandError, match="seq 3: missing"):
        _verify()


def test_it_names_two_swapped_events() -> None:
    record_events(6)
    with triggers_bypassed():
        AuditEvent.objects.filter(seq=3).update(seq=1000)
        AuditEvent.objects.filter(seq=4).update(seq=3)
        AuditEvent.objects.filter(seq=1000).update(seq=4)
    assert _problem() == (3, REORDERED)
    with pytest.raises(CommandError, match="seq 3: reordered"):
        _verify()


def test_it_finds_a_deleted_tail_through_the_checkpoint() -> None:
    record_events(5)
    checkpoint_create()
    with triggers_bypassed():
        AuditEvent.objects.filter(seq__gte=4).delete()
    assert _problem() == (4, MISSING)


def _rewrite_from(seq: int) -> None:
    """The careful attacker: change one event, then recompute every hash after it."""
    with triggers_bypassed():
        prev = AuditEvent.objects.get(seq=seq - 1).hash
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            if event.seq == seq:
                event.actor_name = "改写"
            event.prev_hash = prev
            event.hash = event_hash(event)
            AuditEvent.objects.filter(pk=event.pk).update(
                actor_name=event.actor_name, prev_hash=event.prev_hash, hash=event.hash
            )
            prev = event.hash


def test_it_finds_history_rewritten_after_a_checkpoint() -> None:
    record_events(3)
    checkpoint_create()
    for _ in range(3):
        record_events(1)
        checkpoint_create()  # sizes 3, 4, 5, 6
    _rewrite_from(5)
    assert _problem() == (5, CHECKPOINT_MISMATCH)
    with pytest.raises(CommandError, match="seq 5: checkpoint mismatch"):
        _verify()


def test_it_names_the_range_when_checkpoints_are_sparse() -> None:
    record_events(2)
    checkpoint_create()
    record_events(6)
    checkpoint_create()  # sizes 2 and 8
    _rewrite_from(5)
    report = log_verify(vkey=signing_key().vkey, check_triggers=False)
    assert report.problem is not None
    assert report.problem.kind == CHECKPOINT_MISMATCH
    assert "第 3 至 8 号" in report.problem.detail


def test_it_finds_a_checkpoint_with_a_forged_root() -> None:
    record_events(3)
    checkpoint_create()
    with triggers_bypassed():
        Checkpoint.objects.update(root_hash="ab" * 32)
    assert _problem() == (3, CHECKPOINT_MISMATCH)


def test_it_reports_missing_triggers() -> None:
    record_events(1)
    with triggers_bypassed():
        report = log_verify(vkey=signing_key().vkey)
    assert report.problem is not None and report.problem.kind == TRIGGERS_MISSING
