"""Every portal page: anonymous, wrong role, right role in another village, in scope;
and the step-by-step form as a resident's phone drives it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import World, client_for
from zhiyin.orgs.models import Person
from zhiyin.portal.models import Application
from zhiyin.portal.services.applications import application_submit
from zhiyin.portal.tests.conftest import VEGETABLE_ANSWERS, Services, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(world: World, services: Services) -> Application:
    return application_submit(
        service=services.vegetable,
        resident=world.sn_resident,
        by=world.sn_resident,
        answers=VEGETABLE_ANSWERS,
        files={"photo": [photo()]},
    )


def status(person: Person | None, url: str) -> int:
    return client_for(person).get(url).status_code


def test_the_resident_pages_need_a_resident(world: World, services: Services) -> None:
    for url in ["/portal/", "/portal/services/vegetable-subsidy/", "/portal/ask/"]:
        assert status(None, url) == 302
        assert status(world.sn_clerk, url) == 403
        assert status(world.bl_resident, url) == 200
        assert status(world.sn_resident, url) == 200


def test_a_resident_cannot_open_another_residents_application(
    world: World, application: Application
) -> None:
    url = f"/portal/applications/{application.pk}/"
    assert status(None, url) == 302
    assert status(world.bl_resident, url) == 404
    assert status(world.sn_clerk, url) == 404
    assert status(world.sn_resident, url) == 200
    file_url = f"{url}files/{application.files.get().pk}/"
    assert status(world.bl_resident, file_url) == 404
    assert status(world.bl_clerk, file_url) == 404
    assert status(world.sn_clerk, file_url) == 200
    assert status(world.sn_resident, file_url) == 200


def test_the_clerk_pages_need_a_clerk_of_the_village(
    world: World, application: Application
) -> None:
    detail = f"/portal/clerk/applications/{application.pk}/"
    assert status(None, "/portal/clerk/") == 302
    assert status(world.sn_resident, "/portal/clerk/") == 403
    assert status(world.sn_secretary, "/portal/clerk/") == 403
    assert (
        application.number not in client_for(world.bl_clerk).get("/portal/clerk/").content.decode()
    )
    assert application.number in client_for(world.sn_clerk).get("/portal/clerk/").content.decode()
    assert status(None, detail) == 302
    assert status(world.sn_resident, detail) == 403
    assert status(world.bl_clerk, detail) == 404
    assert status(world.sn_clerk, detail) == 200


def test_only_a_district_admin_opens_the_register_import(world: World) -> None:
    url = "/portal/register/import/"
    assert status(None, url) == 302
    assert status(world.sn_resident, url) == 403
    assert status(world.sn_admin, url) == 403
    assert status(world.district_admin, url) == 200


def test_filing_for_a_resident_needs_a_clerk_of_their_village(
    world: World, services: Services
) -> None:
    url = f"/portal/services/vegetable-subsidy/?for={world.sn_resident.pk}"
    assert status(world.bl_clerk, url) == 404
    assert status(world.sn_leader1, url) == 404
    assert status(world.sn_clerk, url) == 200


def test_the_ask_page_explains_a_negative_list_certificate(
    world: World, services: Services
) -> None:
    page = client_for(world.sn_resident).get("/portal/ask/", {"need": "无犯罪记录证明"})
    text = page.content.decode()
    assert "村里不再开具" in text and "派出所" in text


@pytest.mark.parametrize(
    ("need", "item", "where"),
    [
        ("证明我妈还活着", "健在证明", "刷脸认证"),
        ("我家的狗要登记", "居民养犬证明", "养犬登记机关"),
        ("我身份证丢了", "证件遗失证明", "原发证机关"),
        ("证明我还没结婚", "婚姻状况证明", "婚姻登记机关"),
    ],
)
def test_the_ask_page_understands_residents_own_words(
    world: World, services: Services, need: str, item: str, where: str
) -> None:
    text = client_for(world.sn_resident).get("/portal/ask/", {"need": need}).content.decode()
    assert f"“{item}”村里不再开具" in text and where in text
    assert "没有找到对应的网上服务" not in text


def test_a_generic_word_does_not_steer_to_a_service(world: World, services: Services) -> None:
    client = client_for(world.sn_resident)
    for need in ("证明", "我要开个证明"):
        text = client.get("/portal/ask/", {"need": need}).content.decode()
        assert "/portal/services/residence-certificate/" not in text and "村里不再开具" not in text
    text = client.get("/portal/ask/", {"need": "我想开居住证明"}).content.decode()
    assert "/portal/services/residence-certificate/" in text and "村里不再开具" not in text
    text = client.get("/portal/ask/", {"need": "瓜菜补贴怎么申请"}).content.decode()
    assert "冬季瓜菜种植补贴" in text


def test_a_resident_goes_through_the_steps_and_cannot_change_fixed_fields(
    world: World, services: Services
) -> None:
    client = client_for(world.sn_resident)
    base = "/portal/services/vegetable-subsidy/"
    assert client.post(base)["Location"] == f"{base}step/1/"
    first = client.get(f"{base}step/1/").content.decode()
    assert "4602**********1238" in first and "来自村民底册" in first
    assert "H46020501" in first
    client.post(
        f"{base}step/1/",
        {"id_number": "110101199003074477", "real_name": "别人", "phone": "13912345678",
         "village": "水南村", "group": "第一村民小组"},
    )  # fmt: skip
    client.post(f"{base}step/2/", {"crop": "茄子"})
    client.post(f"{base}step/3/", {"crops": "1"})
    answer = client.post(f"{base}step/4/", {"area": "0.5"})
    assert "不能小于 1" in answer.content.decode()
    answer = client.post(f"{base}step/4/", {"area": "2.5"})
    assert answer["Location"] == f"{base}confirm/"
    confirm = client.get(f"{base}confirm/").content.decode()
    assert "500.00 元" in confirm and 'capture="environment"' in confirm
    answer = client.post(f"{base}confirm/", {"photo": photo(), "amount": "88888"})
    application = Application.objects.get()
    assert answer["Location"] == f"/portal/applications/{application.pk}/"
    assert application.amount == Decimal("500.00")
    assert application.answers["id_number"] == world.sn_resident.id_number
    assert application.answers["real_name"] == "阿梅"
    assert application.answers["phone"] == "13912345678"


def test_a_missing_photo_is_explained_on_the_confirm_page(world: World, services: Services) -> None:
    client = client_for(world.sn_resident)
    base = "/portal/services/vegetable-subsidy/"
    client.post(base)
    session = client.session
    session["portal:vegetable-subsidy"] = {"answers": dict(VEGETABLE_ANSWERS), "for": None}
    session.save()
    page = client.post(f"{base}confirm/", {})
    assert "请上传：种植现场照片" in page.content.decode()
    assert not Application.objects.exists()


def test_the_admin_lists_applications_of_the_admins_scope_only(
    world: World, application: Application
) -> None:
    url = "/admin/portal/application/"
    assert application.number in client_for(world.district_admin).get(url).content.decode()
    assert application.number in client_for(world.sn_admin).get(url).content.decode()
    assert application.number not in client_for(world.bl_admin).get(url).content.decode()
    assert status(world.sn_resident, url) == 302


def test_a_clerk_files_through_the_pages_for_an_elderly_resident(
    world: World, services: Services
) -> None:
    client = client_for(world.sn_clerk)
    base = "/portal/services/vegetable-subsidy/"
    client.post(f"{base}?for={world.sn_resident.pk}")
    assert "为 阿梅 代办" in client.get(f"{base}step/1/").content.decode()
    client.post(f"{base}step/1/", {"phone": "13900000001", "village": "水南村"})
    client.post(f"{base}step/2/", {"crop": "冬瓜"})
    client.post(f"{base}step/3/", {"crops": "1"})
    client.post(f"{base}step/4/", {"area": "4"})
    answer = client.post(f"{base}confirm/", {"photo": photo()})
    assert answer["Location"] == "/portal/clerk/"
    application = Application.objects.get()
    assert application.resident == world.sn_resident and application.filed_by == world.sn_clerk
    assert application.amount == Decimal("800.00")
    assert status(world.sn_resident, f"/portal/applications/{application.pk}/") == 200


def test_after_a_return_the_form_opens_with_the_earlier_answers(
    world: World, application: Application
) -> None:
    from zhiyin.approvals.services import document_view_record, seal_request_return
    from zhiyin.portal.services.handling import application_accept

    request = application_accept(application=application, by=world.sn_clerk)
    document_view_record(document=request.documents.get(), by=world.sn_leader1)
    seal_request_return(request=request, by=world.sn_leader1, comment="请补充地块位置")
    client = client_for(world.sn_resident)
    page = client.get(f"/portal/applications/{application.pk}/").content.decode()
    assert "请补充地块位置" in page and "修改后重新提交" in page
    answer = client.post(f"/portal/applications/{application.pk}/edit/")
    assert answer["Location"] == "/portal/services/vegetable-subsidy/step/1/"
    step4 = client.get("/portal/services/vegetable-subsidy/step/4/").content.decode()
    assert 'value="3.50"' in step4 and 'value="南坡"' in step4
    client.post("/portal/services/vegetable-subsidy/step/4/", {"area": "3.50", "plot": "南坡东侧"})
    answer = client.post("/portal/services/vegetable-subsidy/confirm/", {})
    assert answer["Location"] == f"/portal/applications/{application.pk}/"
    application.refresh_from_db()
    assert application.status == "resubmitted" and application.answers["plot"] == "南坡东侧"


def test_the_resident_withdraws_from_the_progress_page(
    world: World, application: Application
) -> None:
    client = client_for(world.sn_resident)
    page = client.get(f"/portal/applications/{application.pk}/").content.decode()
    # The withdraw button only opens a question; the form that withdraws is inside it.
    confirm = page.split('<details class="confirm" id="withdraw">')[1].split("</details>")[0]
    assert (
        "确定撤回吗？" in confirm and f"/portal/applications/{application.pk}/withdraw/" in confirm
    )
    assert page.count("/withdraw/") == 1
    client.post(f"/portal/applications/{application.pk}/withdraw/")
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert (
        client_for(world.bl_resident)
        .post(f"/portal/applications/{application.pk}/withdraw/")
        .status_code
        == 404
    )
