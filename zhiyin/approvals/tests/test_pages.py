"""The request pages: the netbox matrix for each page, and the whole flow in the browser's
terms (multipart upload, opening the document, two-tap decisions from the inbox)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.approvals.models import DocumentView, RequestStatus, SealRequest
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, pdf_upload, request_make
from zhiyin.delivery.models import Notification

pytestmark = pytest.mark.django_db


def _pages(request: SealRequest) -> list[str]:
    document = request.documents.get()
    return [
        reverse("seal_request_detail", args=[request.pk]),
        reverse("seal_request_document", args=[request.pk, document.pk]),
    ]


def test_anonymous_visitors_are_sent_to_login(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter)
    for url in [
        reverse("inbox"),
        reverse("seal_request_list"),
        reverse("seal_request_create"),
        *_pages(request),
    ]:
        response = client_for(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client_for(None).post(
        reverse("seal_request_decide", args=[request.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "person", ["bl_secretary", "bl_clerk", "bl_admin", "bl_resident", "officer", "sn_leader2"]
)
def test_people_outside_the_request_scope_get_404(
    world: World, catalog: Catalog, person: str
) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    client = client_for(getattr(world, person))
    for url in _pages(request):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("seal_request_decide", args=[request.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    assert request.number not in client.get(reverse("seal_request_list")).content.decode()
    assert request.number not in client.get(reverse("inbox")).content.decode()
    assert not DocumentView.objects.exists()


@pytest.mark.parametrize(
    "person", ["sn_secretary", "sn_custodian1", "sn_leader1", "inspector", "sn_admin"]
)
def test_people_in_scope_see_the_request(world: World, catalog: Catalog, person: str) -> None:
    request = request_make(world, catalog.matter)
    client = client_for(getattr(world, person))
    assert request.number in client.get(reverse("seal_request_list")).content.decode()
    assert client.get(_pages(request)[0]).status_code == 200


def test_wrong_roles_cannot_create_requests(world: World, catalog: Catalog) -> None:
    for person in (world.sn_leader1, world.sn_secretary, world.sn_resident, world.inspector):
        assert client_for(person).get(reverse("seal_request_create")).status_code == 404


def test_a_wrong_role_in_scope_cannot_decide(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    client = client_for(world.sn_custodian1)
    client.get(_pages(request)[1])
    response = client.post(
        reverse("seal_request_decide", args=[request.pk]), {"decision": "approve"}, follow=True
    )
    assert "环节的审批人" in response.content.decode()
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.SUBMITTED


def test_the_create_form_refuses_a_renamed_exe_in_chinese(world: World, catalog: Catalog) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(world.sn_clerk).post(
        reverse("seal_request_create"),
        {
            "matter": catalog.matter.pk,
            "seal": world.sn_committee_seal.pk,
            "stamp_count": 1,
            "place_of_use": "村委会",
            "purpose": "签订合同",
            "group": world.sn_group1.pk,
            "documents": [SimpleUploadedFile("合同.pdf", b"MZ\x90\x00" + b"\x00" * 100)],
        },
    )
    assert response.status_code == 200
    assert "文件内容不是" in response.content.decode()
    assert not SealRequest.objects.exists()


def test_a_clerk_leader_secretary_and_custodian_take_a_request_through_the_pages(
    world: World, catalog: Catalog
) -> None:
    clerk = client_for(world.sn_clerk)
    response = clerk.post(
        reverse("seal_request_create"),
        {
            "matter": catalog.matter.pk,
            "seal": world.sn_committee_seal.pk,
            "stamp_count": 2,
            "place_of_use": "村委会",
            "purpose": "与承包户签订流转合同",
            "group": world.sn_group1.pk,
            "documents": [pdf_upload()],
        },
    )
    assert response.status_code == 302
    request = SealRequest.objects.get()
    assert request.status == RequestStatus.DRAFT
    clerk.post(reverse("seal_request_submit", args=[request.pk]))
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.SUBMITTED

    detail_url, document_url = _pages(request)
    page_url = reverse(
        "seal_request_document_page", args=[request.pk, request.documents.get().pk, 0]
    )
    for person in (world.sn_leader1, world.sn_secretary):
        client = client_for(person)
        inbox = client.get(reverse("inbox")).content.decode()
        assert request.number in inbox and f"{detail_url}#documents" in inbox
        detail = client.get(detail_url).content.decode()  # tap 1: the request page
        assert page_url in detail and document_url in detail
        shown = client.get(page_url)  # the page image the phone loads inline
        assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
        assert shown.content.startswith(b"\x89PNG")
        response = client.post(  # tap 2: approve from the inbox
            reverse("seal_request_decide", args=[request.pk]),
            {"decision": "approve", "back": "inbox"},
        )
        assert response["Location"] == reverse("inbox")
        assert request.number not in client.get(reverse("inbox")).content.decode()
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED

    custodian = client_for(world.sn_custodian1)
    assert request.number in custodian.get(reverse("inbox")).content.decode()
    custodian.post(reverse("seal_request_complete", args=[request.pk]))
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.COMPLETED

    detail = clerk.get(reverse("seal_request_detail", args=[request.pk])).content.decode()
    assert "羊组长" in detail and "老陈" in detail and "小组长审核" in detail
    for person in (world.bl_secretary, world.bl_clerk, world.bl_admin):
        client = client_for(person)
        assert request.number not in client.get(reverse("seal_request_list")).content.decode()
        assert client.get(reverse("seal_request_detail", args=[request.pk])).status_code == 404


def test_return_from_the_inbox_needs_a_comment(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    client = client_for(world.sn_leader1)
    response = client.post(
        reverse("seal_request_decide", args=[request.pk]),
        {"decision": "return", "back": "inbox"},
        follow=True,
    )
    assert "退回时请写明需要修改的内容" in response.content.decode()
    client.post(
        reverse("seal_request_decide", args=[request.pk]),
        {"decision": "return", "comment": "补充附件"},
    )
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.RETURNED
    assert Notification.objects.filter(person=world.sn_clerk, event="seal_request.return").exists()
    edit = client_for(world.sn_clerk).get(reverse("seal_request_edit", args=[request.pk]))
    assert edit.status_code == 200
    assert (
        client_for(world.sn_leader1)
        .get(reverse("seal_request_edit", args=[request.pk]))
        .status_code
        == 404
    )


def test_the_inbox_marks_overdue_steps(world: World, catalog: Catalog) -> None:
    import datetime as dt

    from django.utils import timezone

    from zhiyin.approvals.models import ApprovalStep

    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    ApprovalStep.objects.filter(request=request).update(
        deadline=timezone.now() - dt.timedelta(hours=1)
    )
    assert "已超时" in client_for(world.sn_leader1).get(reverse("inbox")).content.decode()


def test_the_inbox_puts_the_soonest_deadline_first(world: World, catalog: Catalog) -> None:
    import datetime as dt

    from django.utils import timezone

    from zhiyin.approvals.models import ApprovalStep

    later = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    sooner = seal_request_submit(
        request=request_make(world, catalog.matter, purpose="签订另一份合同"), by=world.sn_clerk
    )
    now = timezone.now()
    ApprovalStep.objects.filter(request=later).update(deadline=now + dt.timedelta(hours=5))
    ApprovalStep.objects.filter(request=sooner).update(deadline=now + dt.timedelta(hours=1))
    body = client_for(world.sn_leader1).get(reverse("inbox")).content.decode()
    assert body.index(sooner.number) < body.index(later.number)


def test_reject_asks_first_on_the_request_page_and_the_inbox(
    world: World, catalog: Catalog
) -> None:
    """驳回 ends the request for good, so it opens a question in place (no script needed);
    the button that rejects is inside it, and 同意 / 退回 stay one tap."""
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    client = client_for(world.sn_leader1)
    for url in (
        reverse("seal_request_detail", args=[request.pk]),
        reverse("inbox"),
    ):
        page = client.get(url).content.decode()
        opening = f'<details class="confirm" id="reject-{request.pk}"><summary>驳回</summary>'
        assert opening in page, url
        question = page.split(opening)[1].split("</details>")[0]
        assert "确定驳回吗？" in question and 'value="reject"' in question
        assert page.count('value="reject"') == 1
        outside = page.replace(question, "")
        assert 'value="approve"' in outside and 'value="return"' in outside
    client.post(
        reverse("seal_request_decide", args=[request.pk]),
        {"decision": "reject", "comment": "不属于本村事项"},
    )
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.REJECTED
