"""The verifier's streaming path rebuilds exactly the text each event was hashed from."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import audit_record, event_canonical_text
from zhiyin.audit.signing import signing_key
from zhiyin.audit.verify import _event_rows, log_verify
from zhiyin.orgs.models import Person

pytestmark = pytest.mark.django_db

AWKWARD = [
    'quote " and backslash \\ and slash /',
    "new\nline, tab\t, return\r, bell \x07, nul-adjacent \x01",
    "中文 ✓ 🙂 \u2028 line separator, \u00e9",
    "",
]


def test_it_gives_every_event_the_text_its_hash_was_made_from() -> None:
    person = Person.objects.create(username="alice", real_name='阿"丽\\')
    with transaction.atomic():
        for text in AWKWARD:
            audit_record(
                actor=person,
                action="test.awkward",
                target_label=text,
                before={"text": text, "n": 1},
                after={"text": text, "list": [text, None, 2.5]},
                scope=text,
            )
            audit_record(actor=None, action="test.system", target_label=text)
    rows = list(_event_rows())
    events = list(AuditEvent.objects.order_by("seq"))
    assert [row[0] for row in rows] == [event.seq for event in events]
    for (_, text, prev_hash, stored_hash), event in zip(rows, events, strict=True):
        assert text == event_canonical_text(event)
        assert (prev_hash, stored_hash) == (event.prev_hash, event.hash)
    assert log_verify(vkey=signing_key().vkey, check_triggers=False).ok


def test_the_database_quotes_every_character_as_python_json_does() -> None:
    """The canonical text is built by the database's JSON quoting: every code point
    PostgreSQL can store (all but NUL) must come out as Python's `json` writes it."""
    everything = "".join(chr(code) for code in range(1, 0x110000) if not 0xD800 <= code < 0xE000)
    with transaction.atomic():
        audit_record(actor=None, action="test.every_character", after={"text": everything})
        audit_record(actor=None, action="test.controls", target_label=everything[:200])
    for (_, text, _, _), event in zip(
        _event_rows(), AuditEvent.objects.order_by("seq"), strict=True
    ):
        assert text == event_canonical_text(event)
    assert log_verify(vkey=signing_key().vkey, check_triggers=False).ok


def test_it_reads_a_time_with_no_fraction_of_a_second_as_it_was_hashed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole_second = dt.datetime(2026, 3, 1, 8, 0, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("zhiyin.audit.services.timezone.now", lambda: whole_second)
    with transaction.atomic():
        audit_record(actor=None, action="test.whole_second")
    [(_, text, _, _)] = list(_event_rows())
    assert '"created_at":"2026-03-01T08:00:00+00:00"' in text
    assert text == event_canonical_text(AuditEvent.objects.get())
