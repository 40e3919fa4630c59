"""The trace as a printable PDF: the story table, each event's hash, and the signed
checkpoint with the verifier key, so a paper copy can be checked against the JSON bundle."""

from __future__ import annotations

import functools
import io
import zlib

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
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

from zhiyin.audit.models import Checkpoint
from zhiyin.lib import stamp
from zhiyin.oversight.labels import action_name, role_name
from zhiyin.oversight.selectors import TraceTarget
from zhiyin.oversight.trace import TraceRow


@functools.lru_cache(maxsize=1)
def _font() -> str:
    path, index = stamp.font_locate(None)
    name = f"ZhiyinTrace-{zlib.crc32(path.encode()):08x}-{index}"
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    return name


def trace_pdf_build(
    *, target: TraceTarget, rows: list[TraceRow], checkpoint: Checkpoint | None, vkey: str
) -> bytes:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=22)
    story: list[object] = [
        Paragraph(_("全程留痕：%(label)s") % {"label": target.label}, title),
        Paragraph(f"{target.target_type} #{target.target_id}", body),
        Spacer(1, 4 * mm),
    ]
    header = [_("序号"), _("时间"), _("间隔"), _("操作人"), _("动作"), _("核验")]
    data: list[list[object]] = [[Paragraph(h, body) for h in header]]
    for row in rows:
        e = row.event
        mark = (
            _("已核验") if row.verified else (_("待下一检查点") if row.pending else _("核验失败"))
        )
        when = timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S")
        data.append(
            [
                Paragraph(str(e.seq), body),
                Paragraph(when, body),
                Paragraph(row.since_previous or "—", body),
                Paragraph(
                    (e.actor_name or _("系统")) + (f"（{role_name(e.role)}）" if e.role else ""),
                    body,
                ),
                Paragraph(f"{action_name(e.action)}<br/><font size=6>{e.hash}</font>", body),
                Paragraph(mark, body),
            ]
        )
    table = Table(data, colWidths=[12 * mm, 32 * mm, 22 * mm, 26 * mm, 72 * mm, 20 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 5 * mm)]
    if checkpoint is not None:
        story.append(Paragraph(_("核验依据（签名检查点）："), body))
        for line in checkpoint.note.splitlines():
            story.append(Paragraph(line or "&nbsp;", small))
        story += [Spacer(1, 2 * mm), Paragraph(_("区审计公钥：") + vkey, small)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=target.label).build(story)
    return buffer.getvalue()
