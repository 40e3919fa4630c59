"""The protocol's promises, driven by the real simulator through the ingest services:
enrolment, signatures, exactly-once storage, gaps, counting, flags, custody, emergency
use and offline replay."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from django.db.models import Q
from django.utils import timezone

from zhiyin.approvals.models import RequestStatus
from zhiyin.approvals.services import seal_request_complete
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import Notification
from zhiyin.devices import alarms, events, ingest, sessions
from zhiyin.devices.authorizations import (
    stamp_authorization_confirm,
    stamp_authorization_create,
    stamp_authorization_expire,
    stamp_authorization_revoke,
)
from zhiyin.devices.emergency import emergency_approve, emergency_open
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceAlarm,
    DeviceCommand,
    DeviceEvent,
    SealDevice,
    StampAuthorization,
    StampEvent,
)
from zhiyin.devices.services import device_enrol, device_state_set
from zhiyin.devices.tests.conftest import Terminal, approved, register_terminal, sim
from zhiyin.lib.devproto import ProtocolError
from zhiyin.seals.models import DistrictCA


def _authorize(terminal: Terminal, request: object, hours: int = 2) -> StampAuthorization:
    authorization = stamp_authorization_create(
        request=request,  # type: ignore[arg-type]
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=hours),
    )
    terminal.local.sync(terminal.sim)
    return authorization


def _audit(action: str) -> list[dict[str, Any]]:
    return [json.loads(e.after) for e in AuditEvent.objects.filter(action=action).order_by("seq")]


# --- enrolment and identity -----------------------------------------------------------


def test_it_enrols_a_terminal_with_a_certificate_from_the_device_ca(terminal: Terminal) -> None:
    device = terminal.device
    assert device.is_enrolled and device.key_alg == "ed25519"
    certificate = x509.load_pem_x509_certificate(terminal.sim.state["certificate"].encode())
    ca = x509.load_pem_x509_certificate(terminal.sim.state["ca_certificate"].encode())
    assert certificate.issuer == ca.subject
    assert (
        certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "ZY-SN-01"
    )
    ca.public_key().verify(  # type: ignore[call-arg,union-attr]  # P-256 CA
        certificate.signature,
        certificate.tbs_certificate_bytes,
        __import__("cryptography.hazmat.primitives.asymmetric.ec", fromlist=["ECDSA"]).ECDSA(
            certificate.signature_hash_algorithm
        ),
    )
    # a separate CA: never the seal CA
    assert not DistrictCA.objects.filter(
        certificate_pem=terminal.sim.state["ca_certificate"]
    ).exists()
    assert _audit(events.DEVICE_ENROL)[0]["device"] == "ZY-SN-01"


def test_it_refuses_a_used_enrolment_code(terminal: Terminal, tmp_path: Path) -> None:
    thief = sim.Device.create(str(tmp_path / "thief.json"), "ZY-SN-01")
    # the code the real terminal already used
    with pytest.raises(ProtocolError) as refused:
        device_enrol(message=thief.enrol_message("ANYCODE"))
    assert refused.value.code == "bad_enrol_code"
    terminal.device.refresh_from_db()
    assert terminal.device.public_key_pem == terminal.sim.public_key_pem()


def test_it_refuses_a_code_for_another_terminal_or_an_expired_one(
    terminal: Terminal, tmp_path: Path
) -> None:
    other, code = register_terminal(
        terminal.world, serial="ZY-SN-09", seal=terminal.world.sn_group1_seal
    )
    wrong = sim.Device.create(str(tmp_path / "wrong.json"), "ZY-SN-01")
    with pytest.raises(ProtocolError):
        device_enrol(message=wrong.enrol_message(code))  # ZY-BL-09's code used as ZY-SN-01
    SealDevice.objects.filter(pk=other.pk).update(
        enrol_code_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    late = sim.Device.create(str(tmp_path / "late.json"), "ZY-SN-09")
    with pytest.raises(ProtocolError):
        device_enrol(message=late.enrol_message(code))
    other.refresh_from_db()
    assert not other.is_enrolled


def test_it_refuses_an_event_signed_by_another_terminal(terminal: Terminal, tmp_path: Path) -> None:
    _, code = register_terminal(
        terminal.world, serial="ZY-SN-02", seal=terminal.world.sn_group1_seal
    )
    intruder = sim.Device.create(str(tmp_path / "b.json"), "ZY-SN-02")
    terminal.local.enrol(intruder, code)
    intruder.state["serial"] = "ZY-SN-01"  # claims to be the other terminal, signs with its own key
    forged = intruder.event("state", {"ink": 3})
    result = ingest.events_ingest(messages=[forged])
    assert result.results[0].status == "refused" and result.results[0].code == "bad_signature"
    assert not DeviceEvent.objects.exists()


def test_it_refuses_a_tampered_event(terminal: Terminal) -> None:
    event = terminal.sim.event("state", {"ink": 90})
    event["body"]["ink"] = 10
    assert ingest.events_ingest(messages=[event]).results[0].code == "bad_signature"


# --- exactly once, cumulative ack, gaps ---------------------------------------------


def test_it_stores_a_replayed_event_once(terminal: Terminal) -> None:
    event = terminal.sim.event("state", {"ink": 80, "battery": 70})
    first = ingest.events_ingest(messages=[event])
    again = ingest.events_ingest(messages=[event, event])
    assert first.results[0].status == "stored"
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    assert DeviceEvent.objects.filter(device=terminal.device).count() == 1
    assert again.acks[event["boot"]] == 1


def test_it_refuses_a_different_message_under_a_stored_sequence_number(terminal: Terminal) -> None:
    event = terminal.sim.event("state", {"ink": 80})
    ingest.events_ingest(messages=[event])
    terminal.sim.state["seq"] = 0
    terminal.sim.state["last_hash"] = sim.ZERO_HASH
    other = terminal.sim.event("state", {"ink": 1})
    assert ingest.events_ingest(messages=[other]).results[0].code == "seq_conflict"


def test_a_sequence_gap_raises_a_record_missing_alarm_and_holds_the_ack(terminal: Terminal) -> None:
    first = terminal.sim.event("state", {"ink": 99})
    lost = terminal.sim.event("state", {"ink": 98})
    third = terminal.sim.event("state", {"ink": 97})
    assert ingest.events_ingest(messages=[first, third]).acks[first["boot"]] == 1
    alarm = DeviceAlarm.objects.get(kind=events.ALARM_SEQUENCE_GAP)
    assert alarm.detail["missing_from"] == 2 and alarm.detail["missing_to"] == 2
    assert _audit(events.DEVICE_ALARM)[0]["kind"] == "sequence_gap"
    # the lost event turns up: the ack moves past the gap
    assert ingest.events_ingest(messages=[lost]).acks[first["boot"]] == 3


# --- authorization and counting -----------------------------------------------------


def test_k_authorized_stamps_complete_the_request(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=3)
    authorization = _authorize(terminal, request)
    assert str(authorization.pk) in terminal.sim.state["grants"]
    for _ in range(3):
        terminal.sim.stamp(authorization.code, operator="符姐", transport=terminal.local)
    request.refresh_from_db()
    authorization.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert authorization.status == AuthorizationStatus.USED and authorization.used == 3
    stamps = list(StampEvent.objects.filter(request=request))
    assert [s.status for s in stamps] == ["authorized"] * 3
    assert all(s.photo_sha256 for s in stamps)
    recorded = _audit(events.STAMP_EVENT_RECORD)
    assert {r["status"] for r in recorded} == {"authorized"}
    assert recorded[0]["request"] == request.pk and recorded[0]["authorization"] == authorization.pk
    assert recorded[0]["operator"] == "符姐" and recorded[0]["photo_sha256"]
    assert DeviceCommand.objects.get(authorization=authorization, type="grant").acked_at is not None
    # the terminal refuses a fourth stamp by itself
    with pytest.raises(sim.DeviceError):
        terminal.sim.stamp(authorization.code)


def test_an_over_count_stamp_is_stored_flagged_and_alarmed(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=1)
    authorization = _authorize(terminal, request)
    terminal.sim.stamp(authorization.code, transport=terminal.local)
    terminal.sim.stamp(authorization.code, force=True, transport=terminal.local)
    statuses = list(StampEvent.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["authorized", "over_count"]
    alarm = DeviceAlarm.objects.get(kind=events.ALARM_STAMP_WITHOUT_GRANT)
    assert alarm.detail["status"] == "over_count"
    authorization.refresh_from_db()
    assert authorization.used == 1


def test_a_stamp_after_expiry_is_stored_as_outside_window(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=2)
    authorization = _authorize(terminal, request)
    StampAuthorization.objects.filter(pk=authorization.pk).update(
        not_after=timezone.now() - dt.timedelta(seconds=1)
    )
    stamp_authorization_expire(authorization_id=authorization.pk)
    # the terminal's copy of the grant still runs (a forced or stale terminal): reported
    terminal.sim.stamp(authorization.code, force=True, transport=terminal.local)
    stamp = StampEvent.objects.get()
    assert stamp.status == "outside_window"
    assert StampAuthorization.objects.get().used == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_a_stamp_without_any_grant_is_stored_as_no_grant(terminal: Terminal) -> None:
    terminal.sim.stamp("NOSUCHCODE", slot="committee", force=True, transport=terminal.local)
    stamp = StampEvent.objects.get()
    assert stamp.status == "no_grant" and stamp.request is None
    assert DeviceAlarm.objects.filter(kind="stamp_without_grant").count() == 1


def test_a_code_of_another_request_is_stored_as_code_mismatch(terminal: Terminal) -> None:
    first = approved(terminal, stamp_count=1)
    second = approved(terminal, stamp_count=1)
    grant = _authorize(terminal, first)
    StampAuthorization.objects.filter(pk=grant.pk)  # stays active
    other_code = "OTHERREQ99"
    StampAuthorization.objects.create(
        device=terminal.device,
        slot=grant.slot,
        request=second,
        count=1,
        not_before=timezone.now(),
        not_after=timezone.now() + dt.timedelta(hours=1),
        code_hash=__import__("zhiyin.devices.services", fromlist=["code_hash"]).code_hash(
            other_code
        ),
        code=other_code,
        status=AuthorizationStatus.REVOKED,
        created_by=terminal.world.sn_custodian1,
    )
    # the sheet of the second request is put under the first request's grant
    terminal.sim.stamp(
        other_code, authorization=grant.pk, slot="committee", force=True, transport=terminal.local
    )
    stamp = StampEvent.objects.get()
    assert stamp.status == "code_mismatch" and stamp.request == first
    assert _audit(events.STAMP_EVENT_RECORD)[0]["code_request"] == second.pk


def test_a_revoked_grant_is_withdrawn_from_the_terminal(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=2)
    authorization = _authorize(terminal, request)
    stamp_authorization_revoke(
        authorization=authorization, by=terminal.world.sn_custodian2, reason="文件有误"
    )
    terminal.local.sync(terminal.sim)
    assert terminal.sim.state["grants"] == {}
    with pytest.raises(sim.DeviceError):
        terminal.sim.stamp(authorization.code)
    assert _audit(events.STAMP_AUTHORIZATION_REVOKE)[0]["reason"] == "文件有误"


def test_the_expiry_sweep_records_each_expiry_once(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=2)
    authorization = _authorize(terminal, request)
    later = timezone.now() + dt.timedelta(hours=3)
    assert stamp_authorization_expire(authorization_id=authorization.pk, now=later)
    assert not stamp_authorization_expire(authorization_id=authorization.pk, now=later)
    assert len(_audit(events.STAMP_AUTHORIZATION_EXPIRE)) == 1


def test_separation_of_duties_holds_for_terminal_grants(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=1)
    world = terminal.world
    for person in (world.sn_secretary, world.sn_clerk, world.bl_admin):
        with pytest.raises(RuleViolation):
            stamp_authorization_create(
                request=request, by=person, not_after=timezone.now() + dt.timedelta(hours=1)
            )
    with pytest.raises(RuleViolation, match="终端"):
        seal_request_complete(request=request, by=world.sn_custodian1, by_hand=True)
    assert not StampAuthorization.objects.exists()


def test_a_suspended_terminal_gets_no_grant(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=1)
    device_state_set(
        device=terminal.device, change="suspend", by=terminal.world.sn_admin, reason="检修"
    )
    with pytest.raises(RuleViolation):
        _authorize(terminal, request)
    assert _audit(events.DEVICE_STATE)[0]["change"] == "suspend"


# --- two-person custody -------------------------------------------------------------


def test_a_joint_seal_grant_opens_only_after_the_second_custodian_confirms(
    terminal: Terminal,
) -> None:
    request = approved(terminal, stamp_count=1, joint=True)
    world = terminal.world
    authorization = _authorize(terminal, request)
    assert authorization.status == AuthorizationStatus.PENDING
    assert terminal.sim.state["grants"] == {}
    with pytest.raises(sim.DeviceError):
        terminal.sim.stamp(authorization.code)
    with pytest.raises(RuleViolation, match="另一位"):
        stamp_authorization_confirm(authorization=authorization, by=world.sn_custodian1)
    stamp_authorization_confirm(authorization=authorization, by=world.sn_custodian2)
    terminal.local.sync(terminal.sim)
    terminal.sim.stamp(authorization.code, transport=terminal.local)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    confirmed = _audit(events.STAMP_AUTHORIZATION_CONFIRM)[0]
    assert confirmed["created_by"] == world.sn_custodian1.pk


# --- emergency use ------------------------------------------------------------------


def test_emergency_use_needs_a_reason_tells_the_inspector_and_is_approved_afterwards(
    terminal: Terminal,
) -> None:
    world = terminal.world
    with pytest.raises(RuleViolation, match="理由"):
        emergency_open(
            device=terminal.device, slot_code="committee", by=world.sn_custodian1, reason="急"
        )
    authorization = emergency_open(
        device=terminal.device,
        slot_code="committee",
        by=world.sn_custodian1,
        reason="台风抢险物资调拨证明",
    )
    assert Notification.objects.filter(person=world.inspector, text__contains="先行用章").exists()
    opened = _audit(events.DEVICE_EMERGENCY_OPEN)[0]
    assert opened["reason"] == "台风抢险物资调拨证明" and opened["approve_by"]
    assert opened["approve_within_working_days"] == 3
    terminal.local.sync(terminal.sim)
    terminal.sim.stamp(authorization.code, transport=terminal.local)
    assert StampEvent.objects.get().status == "authorized"
    with pytest.raises(RuleViolation):
        emergency_approve(authorization=authorization, by=world.sn_custodian2)
    emergency_approve(authorization=authorization, by=world.sn_secretary, comment="同意")
    approved_event = _audit(events.DEVICE_EMERGENCY_APPROVED)[0]
    assert approved_event["late"] is False and approved_event["stamps"][0]["status"] == "authorized"


# --- offline ------------------------------------------------------------------------


def test_an_offline_terminal_keeps_enforcing_and_replays_in_order(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=2)
    authorization = _authorize(terminal, request)
    terminal.sim.state["offline"] = True
    terminal.sim.stamp(authorization.code)  # no transport: queued
    terminal.sim.stamp(authorization.code)
    with pytest.raises(sim.DeviceError):  # count enforced offline
        terminal.sim.stamp(authorization.code)
    terminal.sim.alarm("ink_low")
    queued = [e["seq"] for e in terminal.sim.state["queue"]]
    assert queued == sorted(queued) and len(queued) >= 7
    assert not StampEvent.objects.exists()
    # back online much later: the server takes the late events, judged by the device's time
    StampAuthorization.objects.filter(pk=authorization.pk).update(
        not_after=timezone.now()
    )  # the window closed after the stamps were made, before they arrived
    stamp_authorization_expire(
        authorization_id=authorization.pk, now=timezone.now() + dt.timedelta(seconds=1)
    )
    terminal.sim.state["offline"] = False
    answer = terminal.local.send(terminal.sim, list(reversed(terminal.sim.state["queue"])))
    assert {r["status"] for r in answer["results"]} == {"stored"}
    assert terminal.sim.state["queue"] == []
    stored = list(
        DeviceEvent.objects.filter(device=terminal.device)
        .order_by("pk")
        .values_list("seq", flat=True)
    )
    assert stored == sorted(stored)
    stamps = list(StampEvent.objects.order_by("device_time"))
    assert [s.status for s in stamps] == ["authorized", "authorized"]
    assert all(s.server_time > s.device_time for s in stamps)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert not DeviceAlarm.objects.filter(kind="sequence_gap").exists()
    assert DeviceAlarm.objects.filter(kind="ink_low").exists()


def test_a_skewed_clock_is_flagged_on_hello(terminal: Terminal) -> None:
    terminal.sim.state["clock_offset"] = 600.0
    terminal.local.hello(terminal.sim)
    alarm = DeviceAlarm.objects.get(kind=events.ALARM_CLOCK_SKEW)
    assert 590 <= alarm.detail["skew_seconds"] <= 610
    terminal.sim.state["clock_offset"] = 5 * 3600.0
    with pytest.raises(ProtocolError) as stale:
        terminal.local.hello(terminal.sim)
    assert stale.value.code == "stale_message"


def test_a_silent_terminal_raises_offline_once(terminal: Terminal) -> None:
    terminal.local.hello(terminal.sim)
    later = timezone.now() + dt.timedelta(hours=25)
    due = alarms.devices_offline_due(later)
    assert due == [terminal.device.pk]
    assert alarms.device_offline_alarm(device_id=terminal.device.pk, now=later)
    assert not alarms.device_offline_alarm(device_id=terminal.device.pk, now=later)
    assert DeviceAlarm.objects.filter(kind="offline").count() == 1


def test_a_photo_must_match_its_hash_and_type(terminal: Terminal) -> None:
    data = sim.page_photo("SN-1")
    sha = hashlib.sha256(data).hexdigest()
    auth = terminal.sim.session_message("photo", {"sha256": sha})
    with pytest.raises(ProtocolError):
        sessions.photo_store(message=auth, sha256=sha, data=data + b"x", content_type="image/png")
    with pytest.raises(ProtocolError):
        sessions.photo_store(message=auth, sha256=sha, data=data, content_type="image/jpeg")
    photo, created = sessions.photo_store(
        message=auth, sha256=sha, data=data, content_type="image/png"
    )
    again, created_again = sessions.photo_store(
        message=auth, sha256=sha, data=data, content_type="image/png"
    )
    assert created and not created_again and again.pk == photo.pk


def test_every_device_fact_goes_to_the_district_log(terminal: Terminal) -> None:
    """Terminals belong to a district: each of their audit events (registration to alarms)
    is appended to that district's log, never to the installation log."""
    world = terminal.world
    request = approved(terminal, stamp_count=1)
    authorization = _authorize(terminal, request)
    terminal.sim.stamp(authorization.code, transport=terminal.local)
    terminal.sim.stamp(authorization.code, force=True, transport=terminal.local)
    second = approved(terminal, stamp_count=1)
    revoked = _authorize(terminal, second)
    stamp_authorization_revoke(authorization=revoked, by=world.sn_custodian1, reason="重开")
    emergency = emergency_open(
        device=terminal.device, slot_code="committee", by=world.sn_custodian1, reason="台风抢险证明"
    )
    emergency_approve(authorization=emergency, by=world.sn_secretary)
    terminal.local.hello(terminal.sim)
    alarms.device_offline_alarm(
        device_id=terminal.device.pk, now=timezone.now() + dt.timedelta(hours=25)
    )
    device_state_set(device=terminal.device, change="suspend", by=world.sn_admin)
    written = AuditEvent.objects.filter(
        Q(action__startswith="device")
        | Q(action__startswith="stamp_authorization")
        | Q(action__startswith="stamp_event")
    )
    assert set(written.values_list("action", flat=True)) >= {
        *events.ALL_ACTIONS,
        "device.register",
        "device_ca.create",
    } - {events.STAMP_AUTHORIZATION_CONFIRM, events.STAMP_AUTHORIZATION_EXPIRE}
    assert set(written.values_list("log", flat=True)) == {str(world.district.pk)}
