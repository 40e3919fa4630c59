"""The seal-use register (用印登记台账) of one village and period, as rows, Excel and PDF.

Columns follow the paper registers village offices keep. The public version (村务公开)
leaves out every person's name, the free-text purpose (it often names residents) and
the device: what remains says which matter was sealed, when, with which seal, how many
times, and the file's hash anyone can check on the verification page.

Rows are read in chunks of `CHUNK` requests; each chunk costs a fixed handful of
queries (requests, approvers, files, warnings), whatever its size.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from zhiyin.approvals.models import (
    Decision,
    RequestDocument,
    RequestStatus,
    SealRequest,
    StepDecision,
)
from zhiyin.audit.models import AuditEvent
from zhiyin.lib import stamp
from zhiyin.orgs.models import Role, Village
from zhiyin.oversight.models import Warning
from zhiyin.sealing.models import SealedDocument

CHUNK = 500

#: (key, column title) of the full register, in the order of the paper form.
COLUMNS: list[tuple[str, str]] = [
    ("index", gettext_noop("序号")),
    ("number", gettext_noop("登记编号")),
    ("date", gettext_noop("用印日期")),
    ("matter", gettext_noop("事项")),
    ("purpose", gettext_noop("用途说明")),
    ("seal", gettext_noop("印章")),
    ("stamps", gettext_noop("用印数")),
    ("applicant", gettext_noop("申请人/经办人")),
    ("approvers", gettext_noop("审批人")),
    ("custodian", gettext_noop("盖章人/保管人")),
    ("device", gettext_noop("设备号")),
    ("hashes", gettext_noop("照片/文件哈希")),
    ("warnings", gettext_noop("预警")),
    ("remark", gettext_noop("备注")),
]
PUBLIC_KEYS = ("index", "number", "date", "matter", "seal", "stamps", "hashes", "remark")


def columns(*, public: bool) -> list[tuple[str, str]]:
    return [(k, _(t)) for k, t in COLUMNS if not public or k in PUBLIC_KEYS]


@dataclass(frozen=True)
class LedgerSpec:
    village: Village
    start: dt.date
    end: dt.date
    public: bool = False

    @property
    def title(self) -> str:
        kind = _("村务公开") if self.public else _("用印登记台账")
        return f"{self.village.name} {kind}（{self.start.isoformat()} — {self.end.isoformat()}）"


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone),
    )


def ledger_requests(spec: LedgerSpec) -> Iterator[SealRequest]:
    since, until = _bounds(spec.start, spec.end)
    qs = (
        SealRequest.objects.filter(
            village=spec.village,
            status=RequestStatus.COMPLETED,
            completed_at__gte=since,
            completed_at__lt=until,
        )
        .select_related("matter", "seal", "applicant", "on_behalf_of", "completed_by")
        .order_by("completed_at", "pk")
    )
    return qs.iterator(chunk_size=CHUNK)


def ledger_count(spec: LedgerSpec) -> int:
    since, until = _bounds(spec.start, spec.end)
    return SealRequest.objects.filter(
        village=spec.village,
        status=RequestStatus.COMPLETED,
        completed_at__gte=since,
        completed_at__lt=until,
    ).count()


def _device_facts(spec: LedgerSpec) -> dict[int, tuple[set[str], set[str]]]:
    """request id → (device serials, photo hashes) from the devices app's stamp events."""
    since, until = _bounds(spec.start, spec.end)
    found: dict[int, tuple[set[str], set[str]]] = {}
    events = AuditEvent.objects.filter(
        action="stamp_event.record",
        created_at__gte=since,
        created_at__lt=until + dt.timedelta(days=1),
    ).values_list("after", flat=True)
    for text in events.iterator(chunk_size=2000):
        try:
            after = json.loads(text or "{}")
            request_id = int(after.get("request") or after.get("request_id") or 0)
        except (ValueError, TypeError, AttributeError):
            continue
        if request_id:
            serials, photos = found.setdefault(request_id, (set(), set()))
            serial = after.get("device") or after.get("device_serial")
            if serial:
                serials.add(str(serial))
            if after.get("photo_sha256"):
                photos.add(str(after["photo_sha256"]))
    return found


def _chunks(spec: LedgerSpec) -> Iterator[list[SealRequest]]:
    batch: list[SealRequest] = []
    for request in ledger_requests(spec):
        batch.append(request)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def ledger_rows(spec: LedgerSpec) -> Iterator[dict[str, str]]:
    """One dict per sealed request, keyed like `COLUMNS` (public: `PUBLIC_KEYS` only)."""
    devices = {} if spec.public else _device_facts(spec)
    index = 0
    for batch in _chunks(spec):
        ids = [r.pk for r in batch]
        rounds = {r.pk: r.round for r in batch}
        approvers: dict[int, list[str]] = {}
        for request_id, step_round, name, role in (
            StepDecision.objects.filter(step__request_id__in=ids, decision=Decision.APPROVE)
            .order_by("step__position", "decided_at")
            .values_list("step__request_id", "step__round", "person__real_name", "step__role")
        ):
            if step_round == rounds[request_id] and role != Role.CUSTODIAN:
                approvers.setdefault(request_id, []).append(name)
        sealed: dict[int, list[str]] = {}
        for request_id, sha in SealedDocument.objects.filter(request_id__in=ids).values_list(
            "request_id", "sha256"
        ):
            sealed.setdefault(request_id, []).append(sha)
        documents: dict[int, list[str]] = {}
        for request_id, sha in RequestDocument.objects.filter(
            request_id__in=ids, superseded_at__isnull=True
        ).values_list("request_id", "sha256"):
            documents.setdefault(request_id, []).append(sha)
        warned: dict[int, list[str]] = {}
        for request_id, rule in Warning.objects.filter(request_id__in=ids).values_list(
            "request_id", "rule__name"
        ):
            warned.setdefault(request_id, []).append(rule)
        for request in batch:
            index += 1
            serials, photos = devices.get(request.pk, (set(), set()))
            applicant = request.applicant.real_name
            if request.on_behalf_of_id and request.on_behalf_of is not None:
                applicant += _("（代 %(name)s）") % {"name": request.on_behalf_of.real_name}
            completed = timezone.localtime(request.completed_at) if request.completed_at else None
            row = {
                "index": str(index),
                "number": request.number,
                "date": completed.strftime("%Y-%m-%d %H:%M") if completed else "",
                "matter": request.matter.name,
                "purpose": request.purpose,
                "seal": request.seal.name,
                "stamps": str(request.stamp_count),
                "applicant": applicant,
                "approvers": "、".join(approvers.get(request.pk, [])),
                "custodian": request.completed_by.real_name if request.completed_by else "",
                "device": "、".join(sorted(serials)),
                # The sealed file for electronic seals, else the approved document, and
                # the terminal's photos of the stamped page.
                "hashes": " ".join(
                    [*(sealed.get(request.pk) or documents.get(request.pk, [])), *sorted(photos)]
                ),
                "warnings": "、".join(warned.get(request.pk, [])),
                "remark": _("用印地点：%(place)s") % {"place": request.place_of_use},
            }
            if spec.public:
                row = {k: row[k] for k in PUBLIC_KEYS}
                row["remark"] = ""
            yield row


Progress = Callable[[int], None]


def ledger_xlsx(spec: LedgerSpec, *, progress: Progress | None = None) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("用印登记台账")[:31])
    cols = columns(public=spec.public)
    from openpyxl.cell import WriteOnlyCell

    title = WriteOnlyCell(sheet, value=spec.title)
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    header = []
    for _key, name in cols:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    for n, row in enumerate(ledger_rows(spec), start=1):
        sheet.append([int(row[k]) if k in ("index", "stamps") else row[k] for k, _name in cols])
        if progress is not None and n % 200 == 0:
            progress(n)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _font() -> str:
    path, index = stamp.font_locate(None)
    name = f"ZhiyinLedger-{zlib.crc32(path.encode()):08x}-{index}"
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    return name


_WIDTHS_MM = {
    "index": 10, "number": 28, "date": 22, "matter": 28, "purpose": 34, "seal": 26,
    "stamps": 10, "applicant": 18, "approvers": 20, "custodian": 16, "device": 16,
    "hashes": 24, "warnings": 16, "remark": 18,
}  # fmt: skip


def ledger_pdf(spec: LedgerSpec, *, progress: Progress | None = None) -> bytes:
    font = _font()
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=20)
    cols = columns(public=spec.public)
    data: list[list[object]] = [[Paragraph(name, cell) for _key, name in cols]]
    for n, row in enumerate(ledger_rows(spec), start=1):
        data.append(
            [
                Paragraph(row[k].replace(" ", "<br/>") if k == "hashes" else row[k], cell)
                for k, _name in cols
            ]
        )
        if progress is not None and n % 200 == 0:
            progress(n)
    if len(data) == 1:
        data.append([Paragraph(_("本期无用印记录"), cell)] + [""] * (len(cols) - 1))
    scale = 267 / sum(_WIDTHS_MM[k] for k, _name in cols)
    table = Table(data, colWidths=[_WIDTHS_MM[k] * scale * mm for k, _name in cols], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=spec.title,
    ).build([Paragraph(spec.title, title), Spacer(1, 3 * mm), table])
    return buffer.getvalue()
