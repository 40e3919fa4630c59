"""Each starter rule: a scenario that must raise it and a clean one that must not.

Request facts come from the real approval services; device facts are recorded as the
audit events the devices app writes (`stamp_event.record`, `device.alarm`, …).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import World
from zhiyin.approvals.models import ApprovalStep, RequestStatus, SealRequest, StepStatus
from zhiyin.approvals.services import (
    seal_request_approve,
    seal_request_complete,
    seal_request_create,
    seal_request_submit,
)
from zhiyin.approvals.tests.conftest import Catalog, pdf_bytes, request_make, view_documents
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Role
from zhiyin.orgs.services import role_grant_create
from zhiyin.oversight.models import Warning, WarningRule
from zhiyin.oversight.services import warning_rule_update, warning_sweep
from zhiyin.oversight.tests.conftest import device_event, warnings_of

pytestmark = pytest.mark.django_db

SATURDAY_NIGHT = "2026-11-28T22:10:00+08:00"
WEDNESDAY_MORNING = "2026-11-25T10:00:00+08:00"


def _approved(world: World, catalog: Catalog, **extra: Any) -> SealRequest:
    request = seal_request_submit(
        request=request_make(world, catalog.matter, **extra), by=world.sn_clerk
    )
    for person in (world.sn_leader1, world.sn_secretary):
        view_documents(request, person)
        request = seal_request_approve(request=request, by=person)
    assert request.status == RequestStatus.APPROVED
    return request


def _params(code: str, **parameters: object) -> None:
    rule = WarningRule.objects.get(code=code)
    warning_rule_update(rule=rule, by=None, parameters={**rule.parameters, **parameters})


# --- approval step overdue ---------------------------------------------------------------


def test_it_raises_a_late_step_once(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    ApprovalStep.objects.filter(request=request, status=StepStatus.ACTIVE).update(
        deadline=timezone.now() - dt.timedelta(hours=1)
    )
    assert warning_sweep() == 1
    assert warning_sweep() == 0
    (warning,) = warnings_of("step_overdue")
    assert warning.request_id == request.pk
    assert warning.village_id == world.shuinan.pk
    assert warning.facts[0]["label"] == "办理时限"


def test_a_step_within_its_time_limit_raises_nothing(world: World, catalog: Catalog) -> None:
    seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    warning_sweep()
    assert warnings_of("step_overdue") == []


# --- approved but never sealed -----------------------------------------------------------


def test_it_raises_an_approval_never_used(world: World, catalog: Catalog) -> None:
    request = _approved(world, catalog)
    SealRequest.objects.filter(pk=request.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=31)
    )
    warning_sweep()
    assert [w.request_id for w in warnings_of("approved_never_sealed")] == [request.pk]


def test_a_recent_approval_raises_nothing(world: World, catalog: Catalog) -> None:
    request = _approved(world, catalog)
    SealRequest.objects.filter(pk=request.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=5)
    )
    warning_sweep()
    assert warnings_of("approved_never_sealed") == []


# --- off hours -----------------------------------------------------------------------------


def test_it_raises_a_stamp_on_a_saturday_night(world: World, catalog: Catalog) -> None:
    request = _approved(world, catalog)
    device_event(
        "stamp_event.record",
        status="authorized",
        seal=world.sn_committee_seal.pk,
        request=request.pk,
        device="SN-T-0001",
        device_time=SATURDAY_NIGHT,
    )
    (warning,) = warnings_of("off_hours_use")
    assert "2026-11-28 22:10" in warning.facts[0]["actual"]


def test_a_stamp_on_a_wednesday_morning_raises_nothing(world: World, catalog: Catalog) -> None:
    request = _approved(world, catalog)
    device_event(
        "stamp_event.record",
        status="authorized",
        seal=world.sn_committee_seal.pk,
        request=request.pk,
        device_time=WEDNESDAY_MORNING,
    )
    assert warnings_of("off_hours_use") == []


def test_it_raises_a_completion_outside_the_configured_hours(
    world: World, catalog: Catalog
) -> None:
    _params("off_hours_use", start="00:00", end="00:00", rest_days=False)  # no hour is inside
    request = _approved(world, catalog)
    seal_request_complete(request=request, by=world.sn_custodian1)
    assert [w.request_id for w in warnings_of("off_hours_use")] == [request.pk]


def test_a_completion_inside_the_configured_hours_raises_nothing(
    world: World, catalog: Catalog
) -> None:
    _params("off_hours_use", start="00:00", end="23:59", rest_days=False)
    request = _approved(world, catalog)
    if timezone.localtime().strftime("%H:%M") == "23:59":
        pytest.skip("the one minute of the day outside 00:00–23:59")
    seal_request_complete(request=request, by=world.sn_custodian1)
    assert warnings_of("off_hours_use") == []


# --- device stamp rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("over_count", "stamp_over_count"),
        ("outside_window", "stamp_outside_window"),
        ("no_grant", "stamp_without_grant"),
        ("code_mismatch", "document_mismatch"),
    ],
)
def test_it_raises_each_refused_stamp(
    world: World, catalog: Catalog, status: str, code: str
) -> None:
    request = _approved(world, catalog)
    event = device_event(
        "stamp_event.record",
        status=status,
        seal=world.sn_committee_seal.pk,
        request=request.pk,
        authorization=7,
        device="SN-T-0001",
        slot=1,
        device_time=WEDNESDAY_MORNING,
        server_time=WEDNESDAY_MORNING,
        photo_sha256="ab" * 32,
        operator="符姐",
        allowed=2,
        count=3,
    )
    (warning,) = warnings_of(code)
    assert warning.source_event_seq == event.seq
    assert warning.request_id == request.pk
    assert warning.severity == "high"
    assert Warning.objects.count() == 1  # one fact, one rule


def test_an_authorized_stamp_raises_no_stamp_warning(world: World, catalog: Catalog) -> None:
    request = _approved(world, catalog)
    device_event(
        "stamp_event.record",
        status="authorized",
        seal=world.sn_committee_seal.pk,
        request=request.pk,
        device_time=WEDNESDAY_MORNING,
    )
    assert Warning.objects.count() == 0


# --- 审用不符 for electronic seals -----------------------------------------------------


def test_it_raises_a_sealed_file_whose_source_is_not_the_approved_one(
    world: World, catalog: Catalog
) -> None:
    request = _approved(world, catalog)
    device_event(
        "sealed_document.create", request=request.number, source_sha256="0" * 64, sha256="1" * 64
    )
    (warning,) = warnings_of("document_mismatch")
    assert warning.facts[0]["actual"] == "0" * 64


def test_a_sealed_file_from_the_approved_document_raises_nothing(
    world: World, catalog: Catalog
) -> None:
    request = _approved(world, catalog)
    approved = request.documents.get().sha256
    device_event(
        "sealed_document.create", request=request.number, source_sha256=approved, sha256="1" * 64
    )
    assert warnings_of("document_mismatch") == []


# --- emergency use ------------------------------------------------------------------------


def _emergency(world: World) -> AuditEvent:
    return device_event(
        "device.emergency_open",
        seal=world.sn_committee_seal.pk,
        device="SN-T-0001",
        request_id="",
        authorization=41,
        reason="防汛紧急用章",
    )


def test_it_raises_an_emergency_use_never_approved(world: World) -> None:
    _emergency(world)
    assert warning_sweep(now=timezone.now() + dt.timedelta(hours=49)) == 1  # no approve_by: 48 h
    (warning,) = warnings_of("emergency_unapproved")
    assert warning.facts[1]["actual"] == "防汛紧急用章"


def test_an_emergency_approved_afterwards_raises_nothing(world: World) -> None:
    _emergency(world)
    device_event(
        "device.emergency_approved",
        seal=world.sn_committee_seal.pk,
        device="SN-T-0001",
        request_id="",
        authorization=41,
    )
    warning_sweep(now=timezone.now() + dt.timedelta(hours=49))
    assert warnings_of("emergency_unapproved") == []


def test_an_emergency_still_within_its_time_raises_nothing(world: World) -> None:
    _emergency(world)
    warning_sweep(now=timezone.now() + dt.timedelta(hours=2))
    assert warnings_of("emergency_unapproved") == []


# --- separation of duties -----------------------------------------------------------------


def test_it_raises_an_approver_trying_to_seal(world: World, catalog: Catalog) -> None:
    role_grant_create(
        person=world.sn_custodian2, role=Role.GROUP_LEADER, group=world.sn_group2, by=None
    )
    request = seal_request_submit(
        request=request_make(world, catalog.matter, group=world.sn_group2), by=world.sn_clerk
    )
    for person in (world.sn_custodian2, world.sn_secretary):
        view_documents(request, person)
        request = seal_request_approve(request=request, by=person)
    with pytest.raises(RuleViolation, match="审用分离"):
        seal_request_complete(request=request, by=world.sn_custodian2)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    (warning,) = warnings_of("duties_conflict_attempt")
    assert "王哥" in warning.summary


def test_a_custodian_who_decided_nothing_raises_no_duties_warning(
    world: World, catalog: Catalog
) -> None:
    request = _approved(world, catalog)
    seal_request_complete(request=request, by=world.sn_custodian1)
    assert warnings_of("duties_conflict_attempt") == []


# --- unusual frequency --------------------------------------------------------------------


def _uses(world: World, catalog: Catalog, days_ago: list[float]) -> None:
    now = timezone.now()
    SealRequest.objects.bulk_create(
        SealRequest(
            number=f"HIST-{i}",
            village=world.shuinan,
            matter=catalog.direct_matter,
            chain=catalog.direct_chain,
            seal=world.sn_committee_seal,
            place_of_use="村委会",
            purpose="历史用印",
            applicant=world.sn_clerk,
            status=RequestStatus.COMPLETED,
            completed_at=now - dt.timedelta(days=d),
        )
        for i, d in enumerate(days_ago)
    )


def test_it_raises_a_week_far_above_the_seals_own_history(world: World, catalog: Catalog) -> None:
    _uses(world, catalog, [1, 1.5, 2, 3, 4, 5, 20])  # 6 this week, 1 in the 8 before
    assert warning_sweep() == 1
    (warning,) = warnings_of("unusual_frequency")
    assert warning.seal_id == world.sn_committee_seal.pk
    assert warning.facts[0]["actual"] == "6"
    assert warning_sweep() == 0


def test_a_week_like_the_seals_history_raises_nothing(world: World, catalog: Catalog) -> None:
    history = [10 + 3 * i for i in range(16)]  # 16 uses over 8 weeks: 2 a week
    _uses(world, catalog, [1, 2, 3, 4, 5, 6, *history])  # 6 = 3 × 2, not above
    warning_sweep()
    assert warnings_of("unusual_frequency") == []


# --- one applicant, many requests of one matter ----------------------------------------


def test_it_raises_many_requests_of_one_matter_by_one_applicant(
    world: World, catalog: Catalog
) -> None:
    for _ in range(4):
        seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    (warning,) = warnings_of("applicant_burst")
    assert warning.facts[0]["actual"] == "3"


def test_two_requests_of_one_matter_raise_nothing(world: World, catalog: Catalog) -> None:
    for _ in range(2):
        seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    seal_request_submit(request=request_make(world, catalog.joint_matter), by=world.sn_clerk)
    assert warnings_of("applicant_burst") == []


# --- villagers' meeting resolution ----------------------------------------------------


def _attachment(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(name), content_type="application/pdf")


def test_it_raises_a_meeting_matter_sealed_without_its_resolution(
    world: World, catalog: Catalog
) -> None:
    catalog.matter.required_attachments = ["村民（代表）会议决议"]
    catalog.matter.save()
    request = _approved(world, catalog, attachments=[_attachment("合同附件.pdf")])
    seal_request_complete(request=request, by=world.sn_custodian1)
    (warning,) = warnings_of("resolution_missing")
    assert warning.facts[0]["actual"] == "合同附件.pdf"


def test_a_meeting_matter_with_its_resolution_raises_nothing(
    world: World, catalog: Catalog
) -> None:
    catalog.matter.required_attachments = ["村民（代表）会议决议"]
    catalog.matter.save()
    request = _approved(world, catalog, attachments=[_attachment("村民代表会议决议.pdf")])
    seal_request_complete(request=request, by=world.sn_custodian1)
    assert warnings_of("resolution_missing") == []


# --- rent below the floor ---------------------------------------------------------------


def test_it_raises_a_land_contract_below_the_floor(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter, purpose="流转承包地 30 亩，租金 4000 元/亩/年")
    seal_request_submit(request=request, by=world.sn_clerk)
    (warning,) = warnings_of("rent_below_floor")
    assert warning.facts[0]["actual"] == "4000"


def test_a_land_contract_at_the_floor_raises_nothing(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter, purpose="流转承包地 30 亩，租金 5200元/亩/年")
    seal_request_submit(request=request, by=world.sn_clerk)
    assert warnings_of("rent_below_floor") == []


# --- device alarms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after",
    [
        {"kind": "tamper"},
        {"kind": "sequence_gap", "expected": 41, "received": 44},
        {"kind": "offline", "offline_minutes": 180},
    ],
)
def test_it_raises_serious_device_alarms(world: World, after: dict[str, object]) -> None:
    device_event("device.alarm", seal=world.sn_committee_seal.pk, device="T1", **after)
    (warning,) = warnings_of("device_alarm")
    assert warning.village_id == world.shuinan.pk


@pytest.mark.parametrize(
    "after",
    [{"kind": "ink_low"}, {"kind": "battery_low"}, {"kind": "offline", "offline_minutes": 5}],
)
def test_routine_device_alarms_raise_nothing(world: World, after: dict[str, object]) -> None:
    device_event("device.alarm", seal=world.sn_committee_seal.pk, device="T1", **after)
    assert warnings_of("device_alarm") == []


# --- rules as data ----------------------------------------------------------------------


def test_a_switched_off_rule_raises_nothing(world: World, catalog: Catalog) -> None:
    rule = WarningRule.objects.get(code="rent_below_floor")
    warning_rule_update(rule=rule, by=world.district_admin, enabled=False)
    request = request_make(world, catalog.matter, purpose="租金 100 元/亩/年")
    seal_request_submit(request=request, by=world.sn_clerk)
    assert warnings_of("rent_below_floor") == []


def test_a_warning_names_the_rule_version_it_was_raised_under(
    world: World, catalog: Catalog
) -> None:
    rule = WarningRule.objects.get(code="rent_below_floor")
    warning_rule_update(
        rule=rule,
        by=world.district_admin,
        parameters={**rule.parameters, "floor_yuan_per_mu_year": 6000},
    )
    rule.refresh_from_db()
    assert rule.version == 2
    assert rule.versions.count() == 2
    event = AuditEvent.objects.get(action="warning_rule.update")
    assert event.actor_name == "区管理员" and "6000" in event.after
    seal_request_submit(
        request=request_make(world, catalog.matter, purpose="租金 5500 元/亩/年"), by=world.sn_clerk
    )
    (warning,) = warnings_of("rent_below_floor")
    assert warning.rule_version == 2


def test_bad_parameters_are_refused_and_change_nothing(world: World) -> None:
    rule = WarningRule.objects.get(code="approved_never_sealed")
    for bad in ({"days": "thirty"}, {"dayz": 3}, {"days": -1}, ["days"]):
        with pytest.raises(RuleViolation):
            warning_rule_update(rule=rule, by=world.district_admin, parameters=bad)  # type: ignore[arg-type]  # a list on purpose
    rule.refresh_from_db()
    assert rule.version == 1 and rule.parameters == {"days": 30}


def test_a_negative_list_refusal_is_recorded_for_the_statistics(
    world: World, catalog: Catalog
) -> None:
    with pytest.raises(RuleViolation, match="负面清单"):
        seal_request_create(
            by=world.sn_clerk,
            village=world.shuinan,
            matter=catalog.matter,
            seal=world.sn_committee_seal,
            stamp_count=1,
            place_of_use="村委会",
            purpose="开具亲属关系证明",
        )
    assert not SealRequest.objects.exists()
    event = AuditEvent.objects.get(action="negative_list.refuse")
    assert event.target_id == str(world.shuinan.pk)
