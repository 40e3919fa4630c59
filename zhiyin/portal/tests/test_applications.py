"""Applications from submission to seal: prefill, eligibility, amounts, uploads, the
clerk's one action, progress mirrored to the resident, withdraw and 退回."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from conftest import World
from zhiyin.approvals.models import RequestStatus
from zhiyin.approvals.services import (
    document_view_record,
    seal_request_approve,
    seal_request_complete,
    seal_request_return,
)
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import Notification
from zhiyin.portal.formdef import FieldErrors, eligibility_check, fields_of, subsidy_amount
from zhiyin.portal.models import Application, ApplicationStatus, ExcludedGrower
from zhiyin.portal.prefill import prefill_for
from zhiyin.portal.selectors import application_timeline
from zhiyin.portal.services.applications import (
    application_resubmit,
    application_submit,
    application_withdraw,
)
from zhiyin.portal.services.handling import application_accept, application_sync
from zhiyin.portal.tests.conftest import VEGETABLE_ANSWERS, Services, photo

pytestmark = pytest.mark.django_db


def submit(world: World, services: Services, **answers: str) -> Application:
    return application_submit(
        service=services.vegetable,
        resident=world.sn_resident,
        by=world.sn_resident,
        answers={**VEGETABLE_ANSWERS, **answers},
        files={"photo": [photo()]},
    )


def approve_all(world: World, application: Application) -> None:
    request = application.seal_request
    assert request is not None
    for person in (world.sn_leader1, world.sn_secretary):
        for document in request.documents.all():
            document_view_record(document=document, by=person)
        request = seal_request_approve(request=request, by=person)


def test_it_prefills_at_least_forty_percent_of_the_subsidy_form(
    world: World, services: Services
) -> None:
    fields = fields_of(services.vegetable)
    known = prefill_for(world.sn_resident)
    prefilled = [f for f in fields if f.prefill and f.prefill in known]
    share = len(prefilled) / len(fields)
    assert share >= 0.4, share
    assert known["id_number"].value == world.sn_resident.id_number
    assert known["id_number"].fixed and known["social_security_number"].fixed


def test_it_computes_200_per_mu_for_one_crop_and_500_for_two(services: Services) -> None:
    subsidy = services.vegetable.subsidy
    assert subsidy_amount(subsidy, {"crops": "1", "area": "3.50"}) == Decimal("700.00")
    assert subsidy_amount(subsidy, {"crops": "2", "area": "3.50"}) == Decimal("1750.00")
    film = services.film.subsidy
    assert subsidy_amount(film, {"film": "全生物降解地膜", "area": "2.25"}) == Decimal("162.00")
    assert subsidy_amount(film, {"film": "加厚高强度地膜", "area": "1"}) == Decimal("30.00")


def test_it_ignores_a_tampered_amount_and_tampered_fixed_fields(
    world: World, services: Services
) -> None:
    application = submit(world, services, amount="99999.00", id_number="110101199003074477")
    assert application.amount == Decimal("1750.00")
    assert "amount" not in application.answers
    assert application.answers["id_number"] == world.sn_resident.id_number
    assert application.answers["real_name"] == "阿梅"


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.date(2026, 10, 1), True),
        (dt.date(2026, 9, 30), False),
        (dt.date(2027, 4, 30), True),
        (dt.date(2027, 5, 1), False),
        (dt.date(2027, 1, 15), True),
    ],
)
def test_it_accepts_only_inside_the_season(services: Services, day: dt.date, ok: bool) -> None:
    service = services.vegetable
    service.eligibility = {"season_start": "10-01", "season_end": "04-30"}
    if ok:
        eligibility_check(service, id_number="", answers=None, day=day)
    else:
        with pytest.raises(RuleViolation, match="申报期"):
            eligibility_check(service, id_number="", answers=None, day=day)


def test_it_refuses_less_than_one_mu_and_accepts_exactly_one(
    world: World, services: Services
) -> None:
    with pytest.raises(FieldErrors) as caught:
        submit(world, services, area="0.99")
    assert "不能小于 1" in caught.value.errors["area"]
    assert submit(world, services, area="1").amount == Decimal("500.00")


def test_it_refuses_a_core_base_grower_with_the_reason(world: World, services: Services) -> None:
    ExcludedGrower.objects.create(
        service=services.vegetable,
        id_number=world.sn_resident.id_number or "",
        name="阿梅",
        reason="已作为2025年冬季瓜菜核心基地获得奖励",
    )
    with pytest.raises(RuleViolation, match="核心基地"):
        submit(world, services)
    assert not Application.objects.exists()


def test_it_refuses_a_renamed_file_and_saves_nothing(world: World, services: Services) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    with pytest.raises(RuleViolation, match="文件内容"):
        application_submit(
            service=services.vegetable,
            resident=world.sn_resident,
            by=world.sn_resident,
            answers=VEGETABLE_ANSWERS,
            files={"photo": [fake]},
        )
    assert not Application.objects.exists()


def test_it_requires_the_photo(world: World, services: Services) -> None:
    with pytest.raises(RuleViolation, match="种植现场照片"):
        application_submit(
            service=services.vegetable,
            resident=world.sn_resident,
            by=world.sn_resident,
            answers=VEGETABLE_ANSWERS,
            files={},
        )
    assert not Application.objects.exists()


def test_it_downscales_a_big_photo(world: World, services: Services) -> None:
    application = application_submit(
        service=services.vegetable,
        resident=world.sn_resident,
        by=world.sn_resident,
        answers=VEGETABLE_ANSWERS,
        files={"photo": [photo(width=4000, height=3000)]},
    )
    from PIL import Image

    stored = application.files.get()
    with stored.file.open("rb") as handle, Image.open(handle) as image:
        assert max(image.size) == 1600


def test_it_refuses_a_negative_list_certificate_before_submission(
    world: World, services: Services
) -> None:
    with pytest.raises(RuleViolation, match="派出所"):
        application_submit(
            service=services.residence,
            resident=world.sn_resident,
            by=world.sn_resident,
            answers={"address": "水南村三巷5号", "since": "2010", "use": "开无犯罪记录证明"},
            files={},
        )
    assert not Application.objects.exists()


def test_it_tells_the_clerk_and_the_clerk_turns_it_into_a_seal_request(
    world: World, services: Services
) -> None:
    application = submit(world, services)
    assert Notification.objects.filter(
        person=world.sn_clerk, event="application.to_handle"
    ).exists()
    request = application_accept(application=application, by=world.sn_clerk)
    assert request.status == RequestStatus.SUBMITTED
    assert request.on_behalf_of == world.sn_resident
    assert request.group == world.sn_group1
    document = request.documents.get()
    assert document.content_type == "application/pdf" and document.read_bytes().startswith(b"%PDF")
    assert request.attachments.count() == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PROCESSING


def test_it_mirrors_each_change_to_the_resident_until_sealed(
    world: World, services: Services
) -> None:
    application = submit(world, services)
    application_accept(application=application, by=world.sn_clerk)
    application.refresh_from_db()
    approve_all(world, application)
    assert application_sync(application_id=application.pk)
    assert not application_sync(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.seal_request is not None
    seal_request_complete(request=application.seal_request, by=world.sn_custodian1)
    application_sync(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.COMPLETED
    notes = list(
        Notification.objects.filter(person=world.sn_resident).values_list("text", flat=True)
    )
    assert any("已盖章" in n for n in notes) and any("审批通过" in n for n in notes)
    rows = application_timeline(application=application)
    titles = [r.title for r in rows]
    assert "村民小组长审核" in titles and "支部书记审批" in titles and "已盖章" in titles
    assert all("老陈" not in r.detail and "羊组长" not in r.detail for r in rows)


def test_it_shows_the_current_step_deadline(world: World, services: Services) -> None:
    application = submit(world, services)
    application_accept(application=application, by=world.sn_clerk)
    application.refresh_from_db()
    current = [r for r in application_timeline(application=application) if r.state == "current"]
    assert current and current[0].deadline is not None


def test_it_lets_the_resident_withdraw_until_the_first_approval(
    world: World, services: Services
) -> None:
    first = submit(world, services)
    application_accept(application=first, by=world.sn_clerk)
    first.refresh_from_db()
    application_withdraw(application=first, by=world.sn_resident)
    assert first.seal_request is not None
    first.seal_request.refresh_from_db()
    assert first.seal_request.status == RequestStatus.WITHDRAWN

    second = submit(world, services, area="2")
    application_accept(application=second, by=world.sn_clerk)
    second.refresh_from_db()
    request = second.seal_request
    assert request is not None
    document_view_record(document=request.documents.get(), by=world.sn_leader1)
    seal_request_approve(request=request, by=world.sn_leader1)
    with pytest.raises(RuleViolation, match="审批已经开始"):
        application_withdraw(application=second, by=world.sn_resident)


def test_it_answers_a_return_by_editing_without_retyping(world: World, services: Services) -> None:
    application = submit(world, services)
    application_accept(application=application, by=world.sn_clerk)
    application.refresh_from_db()
    assert application.seal_request is not None
    document_view_record(document=application.seal_request.documents.get(), by=world.sn_leader1)
    seal_request_return(
        request=application.seal_request, by=world.sn_leader1, comment="面积与核实表不符"
    )
    application_sync(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    assert application.comment == "面积与核实表不符"
    edited = {**application.answers, "area": "3"}
    application_resubmit(application=application, by=world.sn_resident, answers=edited, files={})
    application.refresh_from_db()
    assert application.amount == Decimal("1500.00")
    assert application.answers["crop"] == "豇豆"
    request = application_accept(application=application, by=world.sn_clerk)
    assert request.status == RequestStatus.SUBMITTED and request.round == 2
    assert request.documents.filter(superseded_at__isnull=True).count() == 1


def test_a_clerk_files_for_an_elderly_resident(world: World, services: Services) -> None:
    application = application_submit(
        service=services.vegetable,
        resident=world.sn_resident,
        by=world.sn_clerk,
        answers=VEGETABLE_ANSWERS,
        files={"photo": [photo()]},
    )
    assert application.filed_by == world.sn_clerk and application.resident == world.sn_resident
    with pytest.raises(RuleViolation):
        application_submit(
            service=services.vegetable,
            resident=world.sn_resident,
            by=world.bl_clerk,
            answers=VEGETABLE_ANSWERS,
            files={"photo": [photo()]},
        )


def test_the_certificate_service_generates_its_document(world: World, services: Services) -> None:
    application = application_submit(
        service=services.residence,
        resident=world.sn_resident,
        by=world.sn_resident,
        answers={"address": "三巷5号", "since": "2010", "use": "子女入学"},
        files={"idcard": [photo("身份证.jpg")]},
    )
    request = application_accept(application=application, by=world.sn_clerk)
    assert request.purpose == "自2010年起居住在水南村三巷5号，本证明用于子女入学"
    assert request.attachments.count() == 1  # the matter's 必需附件 reach the request
    assert (
        request.documents.filter(superseded_at__isnull=True).get().read_bytes().startswith(b"%PDF")
    )


def test_officials_are_named_only_when_the_district_enables_it(
    world: World, services: Services
) -> None:
    from zhiyin.portal.services.district import portal_settings_update

    application = submit(world, services)
    application_accept(application=application, by=world.sn_clerk)
    application.refresh_from_db()
    approve_all(world, application)
    details = " ".join(r.detail for r in application_timeline(application=application))
    assert "老陈" not in details and "支部书记" in details
    with pytest.raises(RuleViolation):
        portal_settings_update(district=world.district, show_official_names=True, by=world.sn_admin)
    portal_settings_update(
        district=world.district, show_official_names=True, by=world.district_admin
    )
    details = " ".join(r.detail for r in application_timeline(application=application))
    assert "老陈" in details


def test_out_of_season_submission_is_refused_with_the_season(
    world: World, services: Services, settings: Any
) -> None:
    services.vegetable.eligibility = {"season_start": "10-01", "season_end": "04-30"}
    services.vegetable.save()
    submit(world, services)  # 26 Nov, pinned by the portal tests: in season
    settings.PORTAL_SERVICE_DATE = dt.date(2027, 6, 1)
    before = Application.objects.count()
    with pytest.raises(RuleViolation, match="不在申报期内"):
        submit(world, services)
    assert Application.objects.count() == before


def test_a_returned_application_can_be_given_up_and_its_request_goes_with_it(
    world: World, services: Services
) -> None:
    application = submit(world, services)
    application_accept(application=application, by=world.sn_clerk)
    application.refresh_from_db()
    request = application.seal_request
    assert request is not None
    document_view_record(document=request.documents.get(), by=world.sn_leader1)
    seal_request_return(request=request, by=world.sn_leader1, comment="面积与核实表不符")
    application_withdraw(application=application, by=world.sn_resident)
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN


def test_evidence_with_active_content_is_refused_and_nothing_is_saved(
    world: World, services: Services, settings: Any
) -> None:
    """The probe's case on the portal: a PDF whose opening runs a script."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiyin.lib.tests.active_pdfs import ACTIVE_SAMPLES

    build, _kind = ACTIVE_SAMPLES["openaction_js"]
    with pytest.raises(RuleViolation, match="JavaScript"):
        application_submit(
            service=services.vegetable,
            resident=world.sn_resident,
            by=world.sn_resident,
            answers=VEGETABLE_ANSWERS,
            files={"photo": [photo(), SimpleUploadedFile("证明.pdf", build())]},
        )
    assert not Application.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_service_for_a_matter_that_needs_files_must_ask_for_one(
    world: World, services: Services
) -> None:
    from django.core.exceptions import ValidationError

    service = services.residence
    service.full_clean()
    service.attachments = [{"key": "housing", "label": "房屋材料", "required": False}]
    with pytest.raises(ValidationError) as refused:
        service.full_clean()
    assert "申请人身份证" in str(refused.value.message_dict["attachments"])
    service.matter.required_attachments = []
    service.full_clean()  # a matter that needs no files takes a service that asks for none
