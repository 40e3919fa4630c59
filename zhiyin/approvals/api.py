"""JSON API for seal requests: the same services and the same scoping as the pages.

Authentication: `Authorization: Bearer zy_…` with an `ApiToken` for integrations, or the
browser session (with its CSRF token) for pages that call the API. A refusal is a 400
with the service's Chinese message in `detail`; out of scope is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.security import django_auth

from zhiyin.approvals.models import ApprovalStep, SealRequest
from zhiyin.approvals.selectors import (
    document_get_for,
    inbox_for,
    request_timeline,
    seal_request_get_for,
    seal_requests_for,
    villages_to_apply_in,
)
from zhiyin.approvals.services import (
    document_view_record,
    seal_request_create,
    seal_request_decide,
    seal_request_remind,
    seal_request_submit,
    seal_request_withdraw,
)
from zhiyin.catalog.selectors import matter_get_for
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import ApiTokenAuth
from zhiyin.orgs.models import Person, VillageGroup
from zhiyin.orgs.selectors import access_for, residents_for
from zhiyin.seals.selectors import seal_get_for

router = Router(tags=["用印申请"], auth=[ApiTokenAuth(), django_auth])


def _person(request: HttpRequest) -> Person:
    person = request.auth  # type: ignore[attr-defined]  # set by ninja's authentication
    if not isinstance(person, Person):
        person = request.user
    assert isinstance(person, Person)
    return person


class StepOut(Schema):
    round: int
    position: int
    name: str
    role: str
    status: str
    deadline: datetime | None
    decided_at: datetime | None
    decision: str
    decided_by: str | None
    comment: str
    duration_seconds: float | None

    @staticmethod
    def from_step(step: ApprovalStep) -> StepOut:
        return StepOut(
            round=step.round,
            position=step.position,
            name=step.name,
            role=step.role,
            status=step.status,
            deadline=step.deadline,
            decided_at=step.decided_at,
            decision=step.decision,
            decided_by=str(step.decided_by) if step.decided_by_id else None,
            comment=step.comment,
            duration_seconds=step.duration.total_seconds() if step.duration is not None else None,
        )


class DocumentOut(Schema):
    id: int
    name: str
    sha256: str
    size: int
    content_type: str
    current: bool


class RequestOut(Schema):
    id: int
    number: str
    status: str
    village: str
    matter_code: str
    matter_name: str
    seal_code: str
    stamp_count: int
    place_of_use: str
    purpose: str
    applicant: str
    created_at: datetime
    outcome_comment: str

    @staticmethod
    def from_request(r: SealRequest) -> RequestOut:
        return RequestOut(
            id=r.pk,
            number=r.number,
            status=r.status,
            village=r.village.name,
            matter_code=r.matter.code,
            matter_name=r.matter.name,
            seal_code=r.seal.code,
            stamp_count=r.stamp_count,
            place_of_use=r.place_of_use,
            purpose=r.purpose,
            applicant=str(r.applicant),
            created_at=r.created_at,
            outcome_comment=r.outcome_comment,
        )


class RequestDetailOut(RequestOut):
    steps: list[StepOut]
    documents: list[DocumentOut]


class InboxItemOut(Schema):
    request: RequestOut
    step: StepOut
    overdue: bool


class RequestIn(Schema):
    village_id: int | None = None
    matter_id: int
    seal_id: int
    stamp_count: int = 1
    place_of_use: str
    purpose: str
    group_id: int | None = None
    on_behalf_of_id: int | None = None


class DecisionIn(Schema):
    decision: str
    comment: str = ""


class WithdrawIn(Schema):
    reason: str = ""


def _refusal(exc: RuleViolation) -> HttpError:
    return HttpError(400, exc.message)


def _detail(r: SealRequest) -> RequestDetailOut:
    base = RequestOut.from_request(r).model_dump()
    return RequestDetailOut(
        **base,
        steps=[StepOut.from_step(s) for s in request_timeline(request=r)],
        documents=[
            DocumentOut(
                id=d.pk,
                name=d.original_name,
                sha256=d.sha256,
                size=d.size,
                content_type=d.content_type,
                current=d.superseded_at is None,
            )
            for d in r.documents.all()
        ],
    )


@router.get("/", response=list[RequestOut], summary="我范围内的用印申请")
def request_list(request: HttpRequest, status: str = "", limit: int = 100) -> list[RequestOut]:
    rows = seal_requests_for(access=access_for(_person(request))).order_by("-created_at", "-pk")
    if status:
        rows = rows.filter(status=status)
    return [RequestOut.from_request(r) for r in rows[: max(1, min(limit, 500))]]


@router.get("/inbox", response=list[InboxItemOut], summary="待办：等待我审批的环节")
def inbox(request: HttpRequest, limit: int = 100) -> list[InboxItemOut]:
    steps = inbox_for(access=access_for(_person(request)))[: max(1, min(limit, 500))]
    return [
        InboxItemOut(
            request=RequestOut.from_request(s.request),
            step=StepOut.from_step(s),
            overdue=s.is_overdue(),
        )
        for s in steps
    ]


@router.post("/", response={201: RequestDetailOut}, summary="新建用印申请（草稿）")
def request_create(
    request: HttpRequest,
    payload: Form[RequestIn],
    documents: File[list[UploadedFile] | None] = None,
    attachments: File[list[UploadedFile] | None] = None,
) -> Status[RequestDetailOut]:
    person = _person(request)
    access = access_for(person)
    villages = villages_to_apply_in(access=access)
    village = (
        villages.filter(pk=payload.village_id).first() if payload.village_id else villages.first()
    )
    if village is None:
        raise HttpError(403, _("只有本村的经办人或印章管理员可以发起用印申请。"))
    matter = matter_get_for(access=access, pk=payload.matter_id)
    seal = seal_get_for(access=access, pk=payload.seal_id)
    group = (
        get_object_or_404(VillageGroup, pk=payload.group_id, village=village)
        if payload.group_id
        else None
    )
    on_behalf_of = (
        get_object_or_404(residents_for(access=access, village=village), pk=payload.on_behalf_of_id)
        if payload.on_behalf_of_id
        else None
    )
    try:
        created = seal_request_create(
            by=person,
            village=village,
            matter=matter,
            seal=seal,
            stamp_count=payload.stamp_count,
            place_of_use=payload.place_of_use,
            purpose=payload.purpose,
            group=group,
            on_behalf_of=on_behalf_of,
            documents=documents or [],
            attachments=attachments or [],
        )
    except RuleViolation as exc:
        raise _refusal(exc) from exc
    return Status(201, _detail(created))


@router.get("/{pk}", response=RequestDetailOut, summary="申请详情与审批过程")
def request_detail(request: HttpRequest, pk: int) -> RequestDetailOut:
    return _detail(seal_request_get_for(access=access_for(_person(request)), pk=pk))


def _act(request: HttpRequest, pk: int, call: Any) -> RequestDetailOut:
    person = _person(request)
    seal_request = seal_request_get_for(access=access_for(person), pk=pk)
    try:
        call(seal_request, person)
    except RuleViolation as exc:
        raise _refusal(exc) from exc
    return _detail(SealRequest.objects.get(pk=seal_request.pk))


@router.post("/{pk}/submit", response=RequestDetailOut, summary="提交审批")
def request_submit(request: HttpRequest, pk: int) -> RequestDetailOut:
    return _act(request, pk, lambda r, p: seal_request_submit(request=r, by=p))


@router.post("/{pk}/decide", response=RequestDetailOut, summary="审批：同意 / 退回 / 驳回")
def request_decide(request: HttpRequest, pk: int, payload: DecisionIn) -> RequestDetailOut:
    return _act(
        request,
        pk,
        lambda r, p: seal_request_decide(
            request=r, by=p, decision=payload.decision, comment=payload.comment
        ),
    )


@router.post("/{pk}/withdraw", response=RequestDetailOut, summary="撤回")
def request_withdraw(request: HttpRequest, pk: int, payload: WithdrawIn) -> RequestDetailOut:
    return _act(
        request, pk, lambda r, p: seal_request_withdraw(request=r, by=p, reason=payload.reason)
    )


@router.post("/{pk}/remind", response=RequestDetailOut, summary="催办")
def request_remind(request: HttpRequest, pk: int) -> RequestDetailOut:
    return _act(request, pk, lambda r, p: seal_request_remind(request=r, by=p))


@router.get("/{pk}/documents/{document_pk}", summary="查看待用印文件（记录查阅）")
def document_download(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    person = _person(request)
    document = document_get_for(access=access_for(person), request_pk=pk, pk=document_pk)
    document_view_record(document=document, by=person)
    return FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=document.original_name,
        as_attachment=False,
    )
