"""The verifier's bulk path: a chunk of events read as a few long values gives exactly
the bytes each event was hashed from, and a change to any stored column is still found,
including a value that holds the stand-ins the bulk text uses for its structure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from zhiyin.audit import verify
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import audit_record, checkpoint_create
from zhiyin.audit.signing import signing_key
from zhiyin.audit.tests.conftest import triggers_bypassed
from zhiyin.audit.verify import CHANGED, MISSING, log_verify
from zhiyin.orgs.models import Person

pytestmark = pytest.mark.django_db

# No control characters: these chunks are read in bulk.
CLEAN = [
    'quote " and backslash \\ and slash / and \\u0001 written out',
    "中文 ✓ 🙂 \u2028 line separator, \u00e9, \x7f, \ufdd0",
    "",
]


def _record(log: str, texts: list[str]) -> None:
    person = Person.objects.create(username=f"p{log or 'x'}", real_name='阿"丽\\')
    with transaction.atomic():
        for text in texts:
            audit_record(
                actor=person,
                action="test.awkward",
                target_label=text,
                before={"text": text, "n": 1},
                after={"text": text, "list": [text, None, 2.5]},
                scope=text,
                log=log,
            )
            audit_record(actor=None, action="test.system", target_label=text, log=log)


def _bulk_and_exact(log: str) -> tuple[list[bytes], list[bytes], list[bool]]:
    bulk: list[bytes] = []
    read_in_bulk: list[bool] = []
    for chunk in verify._chunks(log):
        read_in_bulk.append(chunk.rows is None)
        if chunk.rows is None:
            assert chunk.inputs is not None
            bulk.extend(chunk.inputs)
        else:
            bulk.extend(bytes(row[3]) for row in chunk.rows)
    exact = [bytes(row[3]) for row in verify._exact_rows(log, 0, 10**9)]
    return bulk, exact, read_in_bulk


@pytest.mark.parametrize("log", ["", "7"])
def test_a_bulk_chunk_gives_the_bytes_each_event_was_hashed_from(
    log: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "_CHUNK", 4)
    _record(log, CLEAN)
    bulk, exact, read_in_bulk = _bulk_and_exact(log)
    assert len(exact) == 6
    assert bulk == exact
    assert read_in_bulk == [True, True]
    assert log_verify(vkey=signing_key().vkey, log=log, check_triggers=False).ok


def test_every_character_but_the_controls_goes_through_the_bulk_path() -> None:
    everything = "".join(chr(code) for code in range(0x20, 0x110000) if not 0xD800 <= code < 0xE000)
    with transaction.atomic():
        audit_record(actor=None, action="test.every_character", after={"text": everything})
        audit_record(actor=None, action="test.label", target_label=everything[:300])
    bulk, exact, read_in_bulk = _bulk_and_exact("")
    assert bulk == exact and read_in_bulk == [True]


def test_a_chunk_with_a_control_character_is_read_the_exact_way_and_verifies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(verify, "_CHUNK", 4)
    _record("", ["tab\t, newline\n, \x01\x02\x03 the stand-ins", "plain", "plain too"])
    bulk, exact, read_in_bulk = _bulk_and_exact("")
    assert bulk == exact
    assert read_in_bulk == [False, True]
    assert log_verify(vkey=signing_key().vkey, check_triggers=False).ok


# One changed value per stored column, for event 5 of a district's log.
TAMPERED = {
    "log": "8",
    "seq": 99,
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


def test_the_tamper_table_names_every_column() -> None:
    columns = {f.column for f in AuditEvent._meta.concrete_fields} - {"id"}
    assert set(TAMPERED) == columns


@pytest.mark.parametrize("field", sorted(TAMPERED))
def test_a_change_to_any_column_is_found_in_bulk(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "_CHUNK", 3)
    _record("7", ["甲", "乙", "丙", "丁"])
    checkpoint_create()
    with triggers_bypassed():
        AuditEvent.objects.filter(log="7", seq=5).update(**{field: TAMPERED[field]})
    report = log_verify(vkey=signing_key().vkey, log="7", check_triggers=False)
    assert report.problem is not None
    expected = MISSING if field in ("log", "seq") else CHANGED
    assert (report.problem.seq, report.problem.kind) == (5, expected)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        # Text that, were the stand-ins taken for structure, would move a value over to
        # the next field: the counts of control characters give it away.
        ("actor_name", "阿丽\x01,\x01after\x01:\x01x"),
        ("target_label", "事件\x03"),
        ("before", '{"a":1}\x02'),
        ("target_label", "事件\n"),
    ],
)
def test_a_value_holding_the_stand_ins_cannot_pass_for_structure(
    field: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "_CHUNK", 3)
    _record("7", ["甲", "乙", "丙"])
    with triggers_bypassed():
        AuditEvent.objects.filter(log="7", seq=4).update(**{field: value})
    report = log_verify(vkey=signing_key().vkey, log="7", check_triggers=False)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (4, CHANGED)
