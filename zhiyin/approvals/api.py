"""JSON API for seal requests: the same services and the same scoping as the pages.

Authentication: `Authorization: Bearer zy_…` with an `ApiToken` for integrations, or the
browser session (with its CSRF token) for pages that call the API. A refusal is a 400
with code `refused` and the service's Chinese message; out of scope is 404 (the error
body is `zhiyin.core.api.ErrorOut`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.security import django_auth

from zhiyin.approvals.fields import RequestFields
from zhiyin.approvals.files import JPEG, PDF, PNG
from zhiyin.approvals.models import (
    ApprovalStep,
    Decision,
    RequestStatus,
    SealRequest,
    StepStatus,
)
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
from zhiyin.core.api import AUTHENTICATED, ApiError, Id, OneOf, answers, binary_answer
from zhiyin.orgs.auth import ApiTokenAuth
from zhiyin.orgs.models import Person, Role, VillageGroup
from zhiyin.orgs.selectors import access_for, residents_for
from zhiyin.seals.selectors import seal_get_for

router = Router(tags=["用印申请"], auth=[ApiTokenAuth(), django_auth])


def _person(request: HttpRequest) -> Person:
    person = request.auth  # type: ignore[attr-defined]  # set by ninja's authentication
    if not isinstance(person, Person):
        person = request.user
    assert isinstance(person, Person)
    return person


#: Any refusal a call on one request may meet: a rule (400), out of scope (404).
_ON_REQUEST = (*AUTHENTICATED, 400, 404)


class StepOut(Schema):
    """One step of a request's approval chain, as decided or still waiting."""

    round: int
    position: int
    name: str
    role: Annotated[str, OneOf(Role)]
    status: Annotated[str, OneOf(StepStatus)]
    deadline: datetime | None
    decided_at: datetime | None
    decision: Annotated[str, OneOf(Decision, blank=True)]
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
    """A document to be sealed; `current` is false once a newer version replaced it."""

    id: int
    name: str
    sha256: str
    size: int
    content_type: str
    current: bool


class RequestOut(Schema):
    """A seal request (用印申请) in the caller's scope."""

    id: int
    number: str
    status: Annotated[str, OneOf(RequestStatus)]
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
    """A new draft; documents and attachments come as files of the same form."""

    village_id: Id | None = None
    matter_id: Id
    seal_id: Id
    stamp_count: int = Field(1, ge=1, le=999)
    place_of_use: str = Field(max_length=100)
    purpose: str = Field(max_length=500)
    group_id: Id | None = None
    on_behalf_of_id: Id | None = None


class DecisionIn(Schema):
    """An approver's decision on the step waiting for them."""

    decision: Annotated[str, OneOf(Decision)]
    comment: str = Field("", max_length=500)


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


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


@router.get(
    "/", response=answers({200: list[RequestOut]}, *AUTHENTICATED), summary="我范围内的用印申请"
)
def request_list(
    request: HttpRequest,
    status: Annotated[str, OneOf(RequestStatus, blank=True)] = "",
    limit: int = 100,
) -> list[RequestOut]:
    rows = seal_requests_for(access=access_for(_person(request))).order_by("-created_at", "-pk")
    if status:
        rows = rows.filter(status=status)
    return [RequestOut.from_request(r) for r in rows[: max(1, min(limit, 500))]]


@router.get(
    "/inbox",
    response=answers({200: list[InboxItemOut]}, *AUTHENTICATED),
    summary="待办：等待我审批的环节",
)
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


@router.post(
    "/", response=answers({201: RequestDetailOut}, *_ON_REQUEST), summary="新建用印申请（草稿）"
)
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
        raise ApiError(403, "forbidden", _("只有本村的经办人或印章管理员可以发起用印申请。"))
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
    fields = RequestFields(
        matter=matter,
        seal=seal,
        stamp_count=payload.stamp_count,
        place_of_use=payload.place_of_use,
        purpose=payload.purpose,
        group=group,
        on_behalf_of=on_behalf_of,
    )
    created = seal_request_create(
        by=person,
        village=village,
        documents=documents or [],
        attachments=attachments or [],
        **fields,
    )  # a RuleViolation becomes a 400 `refused` (zhiyin.api)
    return Status(201, _detail(created))


@router.get(
    "/{pk}",
    response=answers({200: RequestDetailOut}, *AUTHENTICATED, 404),
    summary="申请详情与审批过程",
)
def request_detail(request: HttpRequest, pk: Id) -> RequestDetailOut:
    return _detail(seal_request_get_for(access=access_for(_person(request)), pk=pk))


def _act(request: HttpRequest, pk: int, call: Any) -> RequestDetailOut:
    person = _person(request)
    seal_request = seal_request_get_for(access=access_for(person), pk=pk)
    call(seal_request, person)  # a RuleViolation becomes a 400 `refused` (zhiyin.api)
    return _detail(SealRequest.objects.get(pk=seal_request.pk))


@router.post(
    "/{pk}/submit", response=answers({200: RequestDetailOut}, *_ON_REQUEST), summary="提交审批"
)
def request_submit(request: HttpRequest, pk: Id) -> RequestDetailOut:
    return _act(request, pk, lambda r, p: seal_request_submit(request=r, by=p))


@router.post(
    "/{pk}/decide",
    response=answers({200: RequestDetailOut}, *_ON_REQUEST),
    summary="审批：同意 / 退回 / 驳回",
)
def request_decide(request: HttpRequest, pk: Id, payload: DecisionIn) -> RequestDetailOut:
    return _act(
        request,
        pk,
        lambda r, p: seal_request_decide(
            request=r, by=p, decision=payload.decision, comment=payload.comment
        ),
    )


@router.post(
    "/{pk}/withdraw", response=answers({200: RequestDetailOut}, *_ON_REQUEST), summary="撤回"
)
def request_withdraw(request: HttpRequest, pk: Id, payload: WithdrawIn) -> RequestDetailOut:
    return _act(
        request, pk, lambda r, p: seal_request_withdraw(request=r, by=p, reason=payload.reason)
    )


@router.post(
    "/{pk}/remind", response=answers({200: RequestDetailOut}, *_ON_REQUEST), summary="催办"
)
def request_remind(request: HttpRequest, pk: Id) -> RequestDetailOut:
    return _act(request, pk, lambda r, p: seal_request_remind(request=r, by=p))


@router.get(
    "/{pk}/documents/{document_pk}",
    response=answers({}, *AUTHENTICATED, 404),
    summary="查看待用印文件（记录查阅）",
    openapi_extra={
        "responses": {200: binary_answer("文件本身（PDF 或图片），与上传时相同。", PDF, PNG, JPEG)}
    },
)
def document_download(request: HttpRequest, pk: Id, document_pk: Id) -> FileResponse:
    person = _person(request)
    document = document_get_for(access=access_for(person), request_pk=pk, pk=document_pk)
    document_view_record(document=document, by=person)
    return FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=document.original_name,
        as_attachment=False,
    )
