"""Statistics (驾驶舱), ledgers (用印登记台账) with their background exports, and the
public 村务公开 ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import replica_view, request_access, request_person
from zhiyin.orgs.models import Village
from zhiyin.oversight.forms import LedgerForm, PeriodForm
from zhiyin.oversight.ledger import (
    LedgerSpec,
    columns,
    ledger_count,
    ledger_pdf,
    ledger_rows,
    ledger_xlsx,
)
from zhiyin.oversight.models import ExportStatus, LedgerExport
from zhiyin.oversight.selectors import oversight_villages_for
from zhiyin.oversight.services import ledger_export_request
from zhiyin.oversight.stats import dashboard_build

LEDGER_PREVIEW = 200
#: Ledgers with more rows than this are built by a worker, with a progress bar.
LEDGER_DIRECT_MAX = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- statistics ----------------------------------------------------------------------------


def _overseen(request: HttpRequest) -> Any:
    villages = oversight_villages_for(access=request_access(request))
    if not villages.exists():
        raise PermissionDenied
    return villages


def _year_ago() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return (today - dt.timedelta(days=365)).replace(day=1), today


@login_required
@replica_view
def statistics(request: HttpRequest) -> HttpResponse:
    villages = _overseen(request)
    start, end = _year_ago()
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    board = dashboard_build(villages=villages, start=start, end=end)
    return render(
        request,
        "oversight/statistics.html",
        {
            "form": form,
            "board": board,
            "chart": board.chart_data(),
            "table_only": request.GET.get("view") == "table",
        },
    )


# --- ledgers -------------------------------------------------------------------------------


def _ledger_response(spec: LedgerSpec, file_format: str) -> HttpResponse:
    stem = f"ledger-{spec.village.code}-{spec.start.isoformat()}-{spec.end.isoformat()}"
    if spec.public:
        stem += "-public"
    if file_format == "xlsx":
        response = HttpResponse(ledger_xlsx(spec), content_type=XLSX)
    else:
        response = HttpResponse(ledger_pdf(spec), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{file_format}"'
    return response


@login_required
@replica_view
def ledger(request: HttpRequest) -> HttpResponse:
    villages = _overseen(request)
    choices = list(villages.order_by("code").values_list("pk", "name"))
    start, end = timezone.localdate().replace(day=1), timezone.localdate()
    form = LedgerForm(request.GET or None, villages=choices, initial={"start": start, "end": end})
    spec = None
    rows: list[dict[str, str]] = []
    total = 0
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        village = villages.filter(pk=data["village"]).first()
        if village is None:
            raise Http404
        public = request.GET.get("public") == "1"
        spec = LedgerSpec(village=village, start=data["start"], end=data["end"], public=public)
        total = ledger_count(spec)
        file_format = request.GET.get("format", "")
        if file_format in ("xlsx", "pdf"):
            if total > LEDGER_DIRECT_MAX:
                messages.info(request, _("记录较多，请使用“后台生成”。"))
            else:
                return _ledger_response(spec, file_format)
        for n, row in enumerate(ledger_rows(spec)):
            if n >= LEDGER_PREVIEW:
                break
            rows.append(row)
    return render(
        request,
        "oversight/ledger.html",
        {
            "form": form,
            "spec": spec,
            "rows": rows,
            "total": total,
            "columns": columns(public=bool(spec and spec.public)),
            "preview": LEDGER_PREVIEW,
            "direct_max": LEDGER_DIRECT_MAX,
            "exports": LedgerExport.objects.filter(requested_by=request_person(request))[:10],
        },
    )


@login_required
@require_POST
def ledger_export_create(request: HttpRequest) -> HttpResponse:
    villages = _overseen(request)
    form = LedgerForm(request.POST, villages=list(villages.values_list("pk", "name")))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("oversight_ledger")
    data = form.cleaned_data
    village = villages.get(pk=data["village"])
    try:
        export = ledger_export_request(
            by=request_person(request),
            village=village,
            start=data["start"],
            end=data["end"],
            file_format=request.POST.get("format", ""),
            public=request.POST.get("public") == "1",
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("oversight_ledger")
    return redirect("oversight_ledger_export", pk=export.pk)


def _own_export(request: HttpRequest, pk: int) -> LedgerExport:
    export = (
        LedgerExport.objects.select_related("village")
        .filter(pk=pk, requested_by=request_person(request))
        .first()
    )
    if export is None:
        raise Http404
    return export


@login_required
def ledger_export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = _own_export(request, pk)
    running = export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    return render(request, "oversight/ledger_export.html", {"export": export, "running": running})


@login_required
def ledger_export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = _own_export(request, pk)
    if export.status != ExportStatus.DONE or not export.file:
        raise Http404
    name = f"ledger-{export.village.code}-{export.start.isoformat()}-{export.end.isoformat()}"
    name += ("-public" if export.public else "") + f".{export.file_format}"
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=name)


# --- 村务公开 --------------------------------------------------------------------------------


@replica_view
def public_ledger(request: HttpRequest, code: str) -> HttpResponse:
    """The village's public ledger for one month: anyone may read it, no login."""
    village = Village.objects.filter(code=code, retired_at__isnull=True).first()
    if village is None:
        raise Http404
    today = timezone.localdate()
    month = request.GET.get("month", today.strftime("%Y-%m"))
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        messages.error(request, _("月份格式应为 2026-11。"))
        first = today.replace(day=1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    spec = LedgerSpec(village=village, start=first, end=last, public=True)
    file_format = request.GET.get("format", "")
    if file_format in ("xlsx", "pdf"):
        return _ledger_response(spec, file_format)
    return render(
        request,
        "oversight/public_ledger.html",
        {
            "village": village,
            "month": first.strftime("%Y-%m"),
            "rows": list(ledger_rows(spec)),
            "columns": columns(public=True),
        },
    )
