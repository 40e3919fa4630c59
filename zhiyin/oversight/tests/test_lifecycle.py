"""Red → yellow → closed, and dismissal confirmed by a senior inspector: who may do each
step, that each is audited, and that the village's secretary is told."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import World, make_person
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, pdf_bytes, request_make
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import Notification
from zhiyin.orgs.models import Person, Role
from zhiyin.orgs.services import role_grant_create
from zhiyin.oversight.models import Warning, WarningState
from zhiyin.oversight.services import (
    warning_close,
    warning_dismiss_decide,
    warning_dismiss_request,
    warning_rectify,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def warning(world: World, catalog: Catalog) -> Warning:
    request = request_make(world, catalog.matter, purpose="流转承包地，租金 3000 元/亩/年")
    seal_request_submit(request=request, by=world.sn_clerk)
    return Warning.objects.get(rule__code="rent_below_floor")


@pytest.fixture
def village_inspector(world: World) -> Person:
    person = make_person("sn_inspector", "水南监察员")
    role_grant_create(person=person, role=Role.INSPECTOR, village=world.shuinan, by=None)
    return person


def _told(person: Person, event: str) -> int:
    return Notification.objects.filter(person=person, event=event).count()


def test_the_secretary_is_told_when_a_warning_is_raised(world: World, warning: Warning) -> None:
    assert warning.state == WarningState.RED
    assert _told(world.sn_secretary, "warning.raise") == 1
    assert _told(world.bl_secretary, "warning.raise") == 0
    assert AuditEvent.objects.filter(action="warning.raise", target_id=str(warning.pk)).count() == 1


def test_red_to_yellow_to_closed(world: World, warning: Warning) -> None:
    evidence = SimpleUploadedFile(
        "整改报告.pdf", pdf_bytes("report"), content_type="application/pdf"
    )
    warning = warning_rectify(
        warning=warning, by=world.sn_secretary, explanation="已按底价重新签订", evidence=[evidence]
    )
    assert warning.state == WarningState.YELLOW
    assert warning.evidence.get().original_name == "整改报告.pdf"
    warning = warning_close(warning=warning, by=world.inspector, conclusion="整改到位，予以办结")
    assert warning.state == WarningState.CLOSED
    assert warning.closed_by == world.inspector
    actions = list(
        AuditEvent.objects.filter(target_type="oversight.warning", target_id=str(warning.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["warning.raise", "warning.rectify", "warning.close"]
    assert _told(world.sn_secretary, "warning.rectify") == 1
    assert _told(world.sn_secretary, "warning.close") == 1


def test_only_the_villages_secretary_explains(world: World, warning: Warning) -> None:
    for person in (world.bl_secretary, world.sn_clerk, world.inspector):
        with pytest.raises(RuleViolation):
            warning_rectify(warning=warning, by=person, explanation="说明")
    warning.refresh_from_db()
    assert warning.state == WarningState.RED and warning.explanation == ""


def test_an_empty_explanation_is_refused_and_changes_nothing(
    world: World, warning: Warning
) -> None:
    bad = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    with pytest.raises(RuleViolation):
        warning_rectify(warning=warning, by=world.sn_secretary, explanation="   ")
    with pytest.raises(RuleViolation):
        warning_rectify(warning=warning, by=world.sn_secretary, explanation="说明", evidence=[bad])
    warning.refresh_from_db()
    assert warning.state == WarningState.RED and not warning.evidence.exists()


def test_only_an_inspector_of_the_village_closes(
    world: World, warning: Warning, village_inspector: Person
) -> None:
    other = make_person("bl_inspector", "北岭监察员")
    role_grant_create(person=other, role=Role.INSPECTOR, village=world.beiling, by=None)
    for person in (other, world.sn_secretary, world.district_admin):
        with pytest.raises(RuleViolation):
            warning_close(warning=warning, by=person, conclusion="结论")
    with pytest.raises(RuleViolation, match="办结结论"):
        warning_close(warning=warning, by=village_inspector, conclusion="")
    assert (
        warning_close(warning=warning, by=village_inspector, conclusion="已核实").state == "closed"
    )
    with pytest.raises(RuleViolation):
        warning_close(warning=warning, by=world.inspector, conclusion="再次办结")


def test_a_dismissal_needs_a_senior_other_than_the_one_who_asked(
    world: World, warning: Warning, village_inspector: Person
) -> None:
    warning = warning_dismiss_request(
        warning=warning, by=village_inspector, reason="租金为试点优惠价，已报批"
    )
    assert warning.state == WarningState.DISMISS_PENDING
    with pytest.raises(RuleViolation, match="区级"):
        warning_dismiss_decide(warning=warning, by=village_inspector, confirm=True)
    senior_asker = warning_dismiss_decide(
        warning=warning, by=world.inspector, confirm=False, comment="依据不足"
    )
    assert senior_asker.state == WarningState.RED
    warning = warning_dismiss_request(warning=senior_asker, by=world.inspector, reason="误报")
    with pytest.raises(RuleViolation, match="不能复核自己"):
        warning_dismiss_decide(warning=warning, by=world.inspector, confirm=True)
    second = make_person("inspector2", "纪委老李")
    role_grant_create(person=second, role=Role.INSPECTOR, district=world.district, by=None)
    warning = warning_dismiss_decide(warning=warning, by=second, confirm=True)
    assert warning.state == WarningState.DISMISSED
    assert warning.dismiss_confirmed_by == second
    assert AuditEvent.objects.filter(action="warning.dismiss_confirm").count() == 1
    assert AuditEvent.objects.filter(action="warning.dismiss_refuse").count() == 1
