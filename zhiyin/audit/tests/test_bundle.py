"""The offline verifier accepts what the server exports, and nothing doctored."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import World
from tools.zhiyin_verify import VerifyError, verify_bundle
from zhiyin.audit.export import bundle_for_events, bundle_full
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import audit_record_standalone, checkpoint_create
from zhiyin.audit.signing import signing_key
from zhiyin.audit.tests.conftest import record_events
from zhiyin.seals.services import seal_suspend

pytestmark = pytest.mark.django_db
TOOL = Path(__file__).resolve().parents[3] / "tools" / "zhiyin_verify.py"


def _full() -> dict[str, Any]:
    record_events(5)
    checkpoint_create()
    record_events(4)
    checkpoint_create()
    record_events(2)
    return bundle_full()


def test_the_verifier_accepts_a_full_export() -> None:
    bundle = _full()
    summary = verify_bundle(bundle, signing_key().vkey)
    assert summary.startswith("11 events verified (complete chain), 3 signed checkpoints")


def test_the_verifier_accepts_one_objects_bundle(world: World) -> None:
    seal_suspend(seal=world.sn_committee_seal, by=world.sn_admin, reason="遗失待查")
    record_events(3)
    events = AuditEvent.objects.filter(
        target_type="seals.seal", target_id=str(world.sn_committee_seal.pk)
    )
    bundle = bundle_for_events(events)
    assert len(bundle["events"]) == 2 and len(bundle["inclusion_proofs"]) == 2
    assert "2 events verified" in verify_bundle(bundle, signing_key().vkey)


def _doctor(bundle: dict[str, Any], how: str) -> dict[str, Any]:
    doctored = copy.deepcopy(bundle)
    if how == "event field":
        doctored["events"][6]["actor_name"] = "冒名"
    elif how == "event removed":
        del doctored["events"][6]
    elif how == "events swapped":
        events = doctored["events"]
        events[5], events[6] = events[6], events[5]
    elif how == "swapped and renumbered":
        events = doctored["events"]
        events[5], events[6] = events[6], events[5]
        events[5]["seq"], events[6]["seq"] = 6, 7
    elif how == "checkpoint root":
        note = doctored["checkpoints"][0]["note"]
        lines = note.split("\n")
        lines[2] = "A" * 43 + "="
        doctored["checkpoints"][0]["note"] = "\n".join(lines)
    elif how == "tail cut":
        del doctored["events"][-3:]
    elif how == "consistency path":
        doctored["consistency_proofs"][0]["path"][0] = "00" * 32
    return doctored


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("event field", "seq 7: changed"),
        ("event removed", "seq 7: missing"),
        ("events swapped", "seq 6: reordered"),
        ("swapped and renumbered", "seq 6: reordered"),
        ("checkpoint root", "checkpoint signature is invalid"),
        ("tail cut", "seq 9: missing"),
        ("consistency path", "not an extension"),
    ],
)
def test_the_verifier_rejects_a_doctored_full_bundle(how: str, message: str) -> None:
    bundle = _doctor(_full(), how)
    with pytest.raises(VerifyError, match=message):
        verify_bundle(bundle, signing_key().vkey)


def test_the_verifier_rejects_a_doctored_proof_and_a_foreign_key(world: World) -> None:
    record_events(6)
    bundle = bundle_for_events(AuditEvent.objects.filter(seq__in=[2, 5]))
    doctored = copy.deepcopy(bundle)
    doctored["inclusion_proofs"][1]["path"][0] = "11" * 32
    with pytest.raises(VerifyError, match="seq 5: inclusion proof"):
        verify_bundle(doctored, signing_key().vkey)
    unproven = copy.deepcopy(bundle)
    unproven["inclusion_proofs"].pop()
    with pytest.raises(VerifyError, match="seq 5: no inclusion proof"):
        verify_bundle(unproven, signing_key().vkey)
    foreign = "zhiyin.test/audit+00000000+" + "A" * 44
    with pytest.raises(VerifyError):
        verify_bundle(bundle, foreign)


def test_the_command_line_tool_runs_without_django(tmp_path: Path) -> None:
    bundle = _full()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(bundle), encoding="utf-8")
    bad.write_text(json.dumps(_doctor(bundle, "event field")), encoding="utf-8")
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(bundle["checkpoints"][0]["note"], encoding="utf-8")
    vkey = signing_key().vkey
    env = {"PATH": "/usr/bin:/bin"}
    ok = subprocess.run(
        [sys.executable, "-I", str(TOOL), str(good), "--vkey", vkey, "--checkpoint", str(saved)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("OK: 11 events verified")
    fail = subprocess.run(
        [sys.executable, "-I", str(TOOL), str(bad), "--vkey", vkey],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert fail.returncode == 1 and "FAIL: seq 7: changed" in fail.stdout


def test_audit_export_writes_a_bundle_for_a_target(world: World, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    seal = world.sn_committee_seal
    call_command(
        "audit_export", "--out", str(out), "--target", f"seals.seal:{seal.pk}", stdout=StringIO()
    )
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert [e["action"] for e in bundle["events"]] == ["seal.register"]
    verify_bundle(bundle, signing_key().vkey)
    with pytest.raises(CommandError, match="TYPE:ID"):
        call_command("audit_export", "--out", str(out), "--target", "seals.seal")


def _district_events(log: str, count: int) -> None:
    for i in range(count):
        audit_record_standalone(actor=None, action="test.district", target_label=str(i), log=log)


def test_each_district_log_exports_and_verifies_on_its_own() -> None:
    _district_events("7", 3)
    record_events(2)
    _district_events("8", 4)
    checkpoint_create(log="7")
    _district_events("7", 2)
    for log, events in (("7", 5), ("8", 4), ("", 2)):
        bundle = bundle_full(log=log)
        assert bundle["log"] == log
        assert [e["seq"] for e in bundle["events"]] == list(range(1, events + 1))
        summary = verify_bundle(bundle, signing_key().vkey)
        assert summary.startswith(f"{events} events verified (complete chain)")


def test_the_verifier_refuses_an_event_moved_to_another_districts_log() -> None:
    _district_events("7", 3)
    _district_events("8", 3)
    bundle = bundle_full(log="8")
    moved = copy.deepcopy(bundle)
    moved["log"] = "7"
    for event in moved["events"]:
        event["log"] = "7"
    with pytest.raises(VerifyError, match="origin"):
        verify_bundle(moved, signing_key().vkey)
    moved["checkpoints"] = moved["consistency_proofs"] = []  # unsigned: the hashes alone
    with pytest.raises(VerifyError, match="seq 1: changed"):
        verify_bundle(moved, signing_key().vkey)
    stray = copy.deepcopy(bundle)
    stray["events"][1]["log"] = "7"
    with pytest.raises(VerifyError, match="another log"):
        verify_bundle(stray, signing_key().vkey)


def test_a_district_checkpoint_is_signed_under_that_districts_origin() -> None:
    _district_events("7", 2)
    checkpoint = checkpoint_create(log="7")
    assert checkpoint is not None
    assert checkpoint.origin == "zhiyin.test/audit/district/7"
    assert checkpoint.note.startswith("zhiyin.test/audit/district/7\n2\n")
    bundle = bundle_full(log="7")
    bundle["log"] = ""
    for event in bundle["events"]:
        event.pop("log")
    with pytest.raises(VerifyError, match="origin"):
        verify_bundle(bundle, signing_key().vkey)
