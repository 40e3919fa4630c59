"""Seal request pages: inbox (待办), list, create/edit/submit, detail with timeline,
decisions, and the scoped document download that records who opened what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.approvals.fields import request_fields_from, request_fields_initial
from zhiyin.approvals.forms import DecisionForm, SealRequestForm, WithdrawForm
from zhiyin.approvals.hooks import physical_stamping_url, request_panels
from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.pages import document_pages, documents_shown
from zhiyin.approvals.selectors import (
    access_holds_step,
    approved_for_custodian,
    attachment_get_for,
    document_get_for,
    inbox_for,
    request_timeline,
    requests_with_unseen_documents,
    seal_request_get_for,
    seal_requests_for,
    unviewed_documents,
    villages_to_apply_in,
)
from zhiyin.approvals.services import (
    document_view_record,
    seal_request_complete,
    seal_request_create,
    seal_request_decide,
    seal_request_remind,
    seal_request_submit,
    seal_request_update,
    seal_request_withdraw,
)
from zhiyin.audit.services import audit_record_standalone, district_log
from zhiyin.catalog.selectors import matters_for
from zhiyin.core.errors import RuleViolation
from zhiyin.core.pageimages import READING_WIDTH_PX, pdf_page_png
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Person, Role
from zhiyin.orgs.privacy import official_names_hidden
from zhiyin.orgs.selectors import access_for

LIST_LIMIT = 200
#: Rows per page of the request list (older ones follow page by page).
LIST_PAGE = 50
#: The inbox shows the most urgent items; a phone screen does not need more at once.
INBOX_LIMIT = 50


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    person = request_person(request)
    access = request_access(request)
    waiting = inbox_for(access=access)
    steps = list(waiting.prefetch_related("request__documents")[:INBOX_LIMIT])
    unseen = requests_with_unseen_documents(
        person=person, request_ids=[s.request_id for s in steps]
    )
    now = timezone.now()
    for step in steps:
        step.overdue = step.is_overdue(now)  # type: ignore[attr-defined]  # shown by the template
        step.unseen = step.request_id in unseen  # type: ignore[attr-defined]  # shown by the template
    return render(
        request,
        "approvals/inbox.html",
        {
            "steps": steps,
            "total": waiting.count() if len(steps) == INBOX_LIMIT else len(steps),
            "to_seal": approved_for_custodian(access=access)[:LIST_LIMIT],
        },
    )


def _list_position(value: str) -> tuple[dt.datetime, int] | None:
    """The `before` parameter of the request list: "<microseconds since 1970>.<id>" of the
    last row of the previous page; anything else starts from the newest."""
    stamp, _sep, pk = value.partition(".")
    if not (stamp.isdigit() and pk.isdigit()) or len(stamp) > 18 or len(pk) > 18:
        return None
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(stamp))
    return moment, int(pk)


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests in the person's scope, newest first, LIST_PAGE at a time: each page
    continues after the last row of the one before (by creation time and id, which an
    index serves without counting or skipping rows)."""
    access = request_access(request)
    requests = seal_requests_for(access=access)
    position = _list_position(request.GET.get("before", ""))
    if position is not None:
        moment, pk = position
        requests = requests.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk))
    rows = list(
        requests.order_by("-created_at", "-pk").values(
            "pk", "number", "status", "created_at", matter_name=F("matter__name")
        )[: LIST_PAGE + 1]
    )
    labels = {value: str(label) for value, label in RequestStatus.choices}
    shown: list[dict[str, Any]] = [
        {**row, "status_label": labels.get(row["status"], row["status"])}
        for row in rows[:LIST_PAGE]
    ]
    older = ""
    if len(rows) > LIST_PAGE:
        last = rows[LIST_PAGE - 1]
        since = last["created_at"] - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        older = f"{since // dt.timedelta(microseconds=1)}.{last['pk']}"
    return render(
        request,
        "approvals/request_list.html",
        {
            "requests": shown,
            "older": older,
            "continued": position is not None,
            "can_apply": villages_to_apply_in(access=access).exists(),
        },
    )


def _form_context(person: Person, village_pk: int | None) -> tuple[Any, Any]:
    access = access_for(person)
    villages = villages_to_apply_in(access=access)
    village = villages.filter(pk=village_pk).first() if village_pk else villages.first()
    if village is None:
        raise Http404
    return village, matters_for(access=access, district=village.district).order_by("code")


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    person = request_person(request)
    village_param = request.GET.get("village", "")
    village, matters = _form_context(
        person, int(village_param) if village_param.isdigit() else None
    )
    form = SealRequestForm(
        request.POST or None, request.FILES or None, village=village, matters=matters
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = seal_request_create(
                by=person,
                village=village,
                documents=data["documents"],
                attachments=data["attachments"],
                **request_fields_from(data),
            )
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已保存草稿 %(number)s。") % {"number": created.number})
            return redirect("seal_request_detail", pk=created.pk)
    return render(
        request, "approvals/request_form.html", {"form": form, "village": village, "editing": None}
    )


@login_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = request_person(request)
    seal_request = seal_request_get_for(access=request_access(request), pk=pk)
    if seal_request.applicant_id != person.pk or not seal_request.is_editable:
        raise Http404
    village, matters = _form_context(person, seal_request.village_id)
    initial = request_fields_initial(seal_request)
    form = SealRequestForm(
        request.POST or None,
        request.FILES or None,
        village=village,
        matters=matters,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        remove = [int(v) for v in request.POST.getlist("remove_document") if v.isdigit()]
        try:
            seal_request_update(
                request=seal_request,
                by=person,
                documents=data["documents"],
                attachments=data["attachments"],
                remove_document_ids=remove,
                **request_fields_from(data),
            )
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已保存修改。"))
            return redirect("seal_request_detail", pk=seal_request.pk)
    return render(
        request,
        "approvals/request_form.html",
        {"form": form, "village": village, "editing": seal_request},
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = request_person(request)
    access = request_access(request)
    seal_request = seal_request_get_for(access=access, pk=pk)
    timeline = list(request_timeline(request=seal_request))
    now = timezone.now()
    active = next((s for s in timeline if s.status == "active"), None)
    can_decide = (
        active is not None
        and person.pk != seal_request.applicant_id
        and access_holds_step(access, active)
        and not any(d.person_id == person.pk for d in active.decisions.all())
    )
    is_applicant = person.pk == seal_request.applicant_id
    documents = list(seal_request.documents.all())
    return render(
        request,
        "approvals/request_detail.html",
        {
            "r": seal_request,
            "timeline": timeline,
            "now": now,
            "active": active,
            "can_decide": can_decide,
            "unseen": set(
                unviewed_documents(request=seal_request, person=person).values_list("pk", flat=True)
            ),
            "documents": documents,
            "shown": documents_shown(documents),
            "attachments": seal_request.attachments.all(),
            "is_applicant": is_applicant,
            "terminal_url": physical_stamping_url(seal_request),
            "panels": request_panels(request, seal_request),
            "hide_names": official_names_hidden(access=access, village=seal_request.village),
            "can_complete": seal_request.status == "approved"
            and not is_applicant
            and Role.CUSTODIAN in access.roles_in_village(seal_request.village),
            # The same people the trace page lets in: overseers of the village and the
            # people the request belongs to.
            "may_trace": person.pk in (seal_request.applicant_id, seal_request.on_behalf_of_id)
            or access.village_wide(seal_request.village, Role.INSPECTOR)
            or access.village_wide(seal_request.village, Role.ADMIN),
        },
    )


def _act(
    request: HttpRequest, pk: int, action: Callable[[SealRequest, Person], Any], done: str
) -> HttpResponse:
    person = request_person(request)
    seal_request = seal_request_get_for(access=request_access(request), pk=pk)
    try:
        action(seal_request, person)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    if request.POST.get("back") == "inbox":
        return redirect("inbox")
    return redirect("seal_request_detail", pk=seal_request.pk)


@login_required
@require_POST
def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda r, p: seal_request_submit(request=r, by=p), _("已提交审批。"))


@login_required
@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审批决定。"))
        return redirect("seal_request_detail", pk=pk)
    decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
    return _act(
        request,
        pk,
        lambda r, p: seal_request_decide(request=r, by=p, decision=decision, comment=comment),
        _("已提交审批意见。"),
    )


@login_required
@require_POST
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        lambda r, p: seal_request_withdraw(request=r, by=p, reason=reason),
        _("已撤回。"),
    )


@login_required
@require_POST
def request_remind(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda r, p: seal_request_remind(request=r, by=p), _("已催办。"))


@login_required
@require_POST
def request_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda r, p: seal_request_complete(request=r, by=p, by_hand=True),
        _("已登记用印。"),
    )


@login_required
def document_download(request: HttpRequest, pk: int, document_pk: int) -> HttpResponseBase:
    """Serve a document inline and record that this person opened it."""
    person = request_person(request)
    document = document_get_for(access=request_access(request), request_pk=pk, pk=document_pk)
    document_view_record(document=document, by=person)
    return FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=document.original_name,
        as_attachment=False,
    )


@login_required
def document_page(request: HttpRequest, pk: int, document_pk: int, page: int) -> HttpResponse:
    """One page of a PDF document as an image, scoped exactly like the document.

    Serving the last page records that the person viewed the document: the pages are
    shown one below the other and loaded as they scroll into view, so the last one
    arrives when the person has scrolled through the whole document. The answer is
    revalidated on every view (``no-cache`` with an ETag) so a repeat visit is
    recorded too, without sending the image again.
    """
    person = request_person(request)
    document = document_get_for(access=request_access(request), request_pk=pk, pk=document_pk)
    if document.content_type != "application/pdf":
        raise Http404
    try:
        pages = document_pages(document)
        png = pdf_page_png(
            sha256=document.sha256, read=document.read_bytes, page=page, width_px=READING_WIDTH_PX
        )
    except RuleViolation as exc:
        raise Http404(exc.message) from exc
    if page == len(pages) - 1 and document.superseded_at is None:
        document_view_record(document=document, by=person)
    etag = f'"{document.sha256[:32]}-{READING_WIDTH_PX}-{page}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(png, content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    """Serve an evidence file (佐证附件); anyone but the applicant opening it is on record
    (who, whose request and file, why), in the district's log."""
    person = request_person(request)
    attachment = attachment_get_for(access=request_access(request), request_pk=pk, pk=attachment_pk)
    seal_request = attachment.request
    if person.pk != seal_request.applicant_id:
        audit_record_standalone(
            actor=person,
            action="request_attachment.view",
            target=attachment,
            target_label=f"{seal_request.number} · {attachment.original_name}"[:200],
            after={
                "request": seal_request.pk,
                "applicant": seal_request.applicant_id,
                "on_behalf_of": seal_request.on_behalf_of_id,
                "file": attachment.original_name[:200],
                "reason": _("办理用印申请 %(number)s") % {"number": seal_request.number},
            },
            log=district_log(seal_request.village.district_id),
        )
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=False,
    )
