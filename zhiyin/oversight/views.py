"""The trace page: one object's complete story, and its export for the offline verifier."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhiyin.audit.export import bundle_for_events
from zhiyin.audit.selectors import checkpoint_latest
from zhiyin.audit.services import audit_record_standalone
from zhiyin.audit.signing import signing_key
from zhiyin.orgs.auth import replica_view, request_access, request_person
from zhiyin.orgs.privacy import official_names_hidden, official_names_shown
from zhiyin.oversight.selectors import trace_events, trace_target_get_for, warnings_of_request
from zhiyin.oversight.trace import trace_rows
from zhiyin.oversight.trace_pdf import trace_pdf_build


def _names_hidden(request: HttpRequest) -> bool:
    """A resident (no staff role anywhere) whose district does not show officials' names
    sees roles, not names, in the story of their own request."""
    person = request_person(request)
    return official_names_hidden(access=request_access(request), village=None) and (
        person.home_village is None or not official_names_shown(person.home_village.district_id)
    )


@login_required
@replica_view
def trace(request: HttpRequest, target_type: str, target_id: str) -> HttpResponse:
    access = request_access(request)
    target = trace_target_get_for(access=access, target_type=target_type, target_id=target_id)
    events = list(trace_events(target=target))
    checkpoint = checkpoint_latest(log=events[-1].log if events else "")
    rows = trace_rows(events, checkpoint)
    warnings = (
        list(warnings_of_request(access=access, request_id=int(target.target_id)))
        if target.target_type == "approvals.sealrequest" and target.target_id.isdigit()
        else []
    )
    return render(
        request,
        "oversight/trace.html",
        {
            "hide_names": _names_hidden(request),
            "target": target,
            "warnings": warnings,
            "rows": rows,
            "checkpoint": checkpoint,
            "vkey": signing_key().vkey if checkpoint is not None else "",
        },
    )


@login_required
@replica_view
def trace_export(request: HttpRequest, target_type: str, target_id: str) -> HttpResponse:
    """The JSON bundle of the trace; the export itself is recorded (it may hold personal data)."""
    person = request_person(request)
    if _names_hidden(request):
        raise PermissionDenied  # the signed events name the officials; they cannot be masked
    access = request_access(request)
    target = trace_target_get_for(access=access, target_type=target_type, target_id=target_id)
    audit_record_standalone(
        actor=person,
        action="audit.trace_export",
        target_label=f"{target.target_type}:{target.target_id}",
    )
    bundle = bundle_for_events(trace_events(target=target).order_by("log", "seq"))
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )
    filename = f"zhiyin-trace-{target.target_type}-{target.target_id}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@replica_view
def trace_pdf(request: HttpRequest, target_type: str, target_id: str) -> HttpResponse:
    """The trace, printable; recorded like the JSON export."""
    person = request_person(request)
    if _names_hidden(request):
        raise PermissionDenied
    access = request_access(request)
    target = trace_target_get_for(access=access, target_type=target_type, target_id=target_id)
    audit_record_standalone(
        actor=person,
        action="audit.trace_export",
        target_label=f"{target.target_type}:{target.target_id}",
        after={"format": "pdf"},
    )
    events = list(trace_events(target=target))
    checkpoint = checkpoint_latest(log=events[-1].log if events else "")
    rows = trace_rows(events, checkpoint)
    pdf = trace_pdf_build(
        target=target,
        rows=rows,
        checkpoint=checkpoint,
        vkey=signing_key().vkey if checkpoint is not None else "",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"zhiyin-trace-{target.target_type}-{target.target_id}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
