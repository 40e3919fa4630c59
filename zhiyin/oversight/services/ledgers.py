"""Ledger exports (台账): requested by someone in scope, audited, built by the worker
into an xlsx or pdf file when too large to build while the person waits."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person, Village
from zhiyin.oversight.ledger import LedgerSpec, ledger_count, ledger_pdf, ledger_xlsx
from zhiyin.oversight.models import (
    ExportStatus,
    LedgerExport,
)

LEDGER_FORMATS = ("xlsx", "pdf")


@transaction.atomic
def ledger_export_request(
    *, by: Person, village: Village, start: dt.date, end: dt.date, file_format: str, public: bool
) -> LedgerExport:
    """Queue a ledger file to be built by a worker (large periods); the page shows its
    progress and offers the download when done."""
    if file_format not in LEDGER_FORMATS:
        raise RuleViolation(_("导出格式只能是 Excel 或 PDF。"))
    if end < start:
        raise RuleViolation(_("截止日期不能早于起始日期。"))
    export = LedgerExport.objects.create(
        requested_by=by,
        village=village,
        start=start,
        end=end,
        file_format=file_format,
        public=public,
        total=ledger_count(LedgerSpec(village=village, start=start, end=end, public=public)),
    )
    audit_record(
        actor=by,
        action="ledger.export",
        target=export,
        after={
            "village": village.pk,
            "start": start,
            "end": end,
            "format": file_format,
            "public": public,
        },
        scope=village.name,
    )
    export_id = export.pk
    transaction.on_commit(lambda: _enqueue_export(export_id))
    return export


def _enqueue_export(export_id: int) -> None:
    from zhiyin.oversight.tasks import ledger_export_build

    ledger_export_build.enqueue(export_id)


def ledger_export_run(*, export_id: int) -> bool:
    """Build one queued export. The claim is a conditional update (queued → running), so
    of two workers one builds it and the other returns False."""
    claimed = LedgerExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return False
    export = LedgerExport.objects.select_related("village").get(pk=export_id)
    spec = LedgerSpec(
        village=export.village, start=export.start, end=export.end, public=export.public
    )

    def progress(done: int) -> None:
        LedgerExport.objects.filter(pk=export_id).update(done=done)

    try:
        build = ledger_xlsx if export.file_format == "xlsx" else ledger_pdf
        data = build(spec, progress=progress)
    except Exception as exc:
        LedgerExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    name = f"ledgers/{export_id}-{uuid4().hex}.{export.file_format}"
    stored = default_storage.save(name, ContentFile(data))
    LedgerExport.objects.filter(pk=export_id).update(
        status=ExportStatus.DONE, file=stored, done=export.total, finished_at=timezone.now()
    )
    return True
