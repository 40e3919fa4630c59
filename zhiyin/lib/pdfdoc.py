"""Certificate documents (证明) as PDF, laid out the way a village office types them.

The CJK font is embedded (a TrueType subset of the Song face) so a certificate looks
the same on a phone, in a browser and at the counter that receives it; a reader's
fallback font could otherwise change line breaks or show boxes.

The seal position returned with the PDF follows the paper convention: the seal sits over
the issuing organization's name and the date ("骑年盖月"), so a pasted image cannot be
moved away from the text it vouches for without the layout looking wrong.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from zhiyin.lib import stamp
from zhiyin.lib.messages import PersonFacingError, gettext_noop

TITLE_PT = 22.0  # 二号
BODY_PT = 16.0  # 三号, the size of official document body text
LINE_PT = 28.0
SEAL_ROOM_BELOW_PT = 150.0  # lower half of the seal plus the verification QR code


_POSITION_KEYWORD = "zhiyin-seal-position:"


class DocumentError(PersonFacingError):
    """The document cannot be produced as asked; the message is for the person asking."""


@dataclass(frozen=True)
class SealPosition:
    """Centre of the seal in PDF points, origin at the page's lower left corner."""

    page: int
    x: float
    y: float


@dataclass(frozen=True)
class CertificatePdf:
    pdf: bytes
    seal_position: SealPosition


def date_chinese(day: dt.date) -> str:
    """2026年11月26日 — Arabic numerals, as the national format for official documents asks."""
    return f"{day.year}年{day.month}月{day.day}日"


@functools.lru_cache(maxsize=4)
def _font_name(font_path: str | None) -> str:
    path, index = stamp.font_locate(font_path)
    name = f"ZhiyinSong-{zlib.crc32(path.encode()):08x}-{index}"
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    return name


class _SealAnchor(Flowable):  # type: ignore[misc]  # reportlab ships no type hints
    """Zero-size marker that records where on which page it was drawn."""

    def __init__(self, *, x_offset: float, y_offset: float) -> None:
        super().__init__()
        self.x_offset = x_offset
        self.y_offset = y_offset
        self.position: SealPosition | None = None

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0.0, 0.0

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(self.x_offset, self.y_offset)
        self.position = SealPosition(page=self.canv.getPageNumber() - 1, x=x, y=y)
        # Written into the document so the sealing step finds the place again from the
        # stored bytes alone (the document is built at request time, sealed later).
        self.canv.setKeywords(f"{_POSITION_KEYWORD}{self.position.page},{x:.2f},{y:.2f}")


class _TextWithSignature(Flowable):  # type: ignore[misc]  # reportlab ships no type hints
    """The last paragraph and the signature block (落款 + date), which must share a page.

    ``KeepTogether`` on the block alone moves it to a new page when it does not fit,
    leaving the seal on a page with nothing to vouch for. This keeps at least the
    paragraph's last `TAIL_LINES` lines with the block: when the whole does not fit, the
    paragraph is split so that its earlier lines fill this page and its tail goes on
    with the block (again, if the tail is still too long for one page).
    """

    TAIL_LINES = 2

    def __init__(self, paragraph: Paragraph, block: list[Flowable]) -> None:
        super().__init__()
        self.paragraph = paragraph
        self.block = block
        self._text_height = 0.0
        self._heights: list[float] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._text_height = self.paragraph.wrap(avail_width, avail_height)[1]
        self._heights = [f.wrap(avail_width, avail_height)[1] for f in self.block]
        self.width = avail_width
        self.height = self._text_height + sum(self._heights)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        if self.height <= avail_height:
            return [self]
        leading = float(self.paragraph.style.leading)
        room = min(avail_height, self._text_height - self.TAIL_LINES * leading)
        if room < leading:
            return []  # not one line can stay here: all of it starts the next page
        parts = self.paragraph.split(avail_width, room)
        if len(parts) < 2:
            return []
        head, tail = parts[0], parts[1]
        return [head, _TextWithSignature(tail, self.block)]

    def draw(self) -> None:
        top = self.height - self._text_height
        self.paragraph.drawOn(self.canv, 0, top)
        for flowable, height in zip(self.block, self._heights, strict=True):
            top -= height
            flowable.drawOn(self.canv, 0, top)


def certificate_pdf_build(
    *,
    title: str,
    paragraphs: Sequence[str],
    document_number: str,
    organization_name: str,
    issued_on: dt.date,
    addressee: str = "",
    font_path: str | None = None,
) -> CertificatePdf:
    """An A4 certificate and the place its seal belongs.

    The organization and date block is kept together with room beneath it for the
    seal's lower half and the QR code, so the seal never lands across a page break, and
    it stays on the page of the text's last lines, so the seal never sits on a page of
    its own.
    """
    date_text = date_chinese(issued_on)
    texts = [title, document_number, organization_name, date_text, addressee, *paragraphs]
    missing = stamp.font_missing(*texts, font_path=font_path)
    if missing:
        raise DocumentError(
            gettext_noop(
                "文档字体中没有这些字：%(chars)s，无法生成证明。"
                "请改用常用字，或由管理员更换包含这些字的字体。"
            ),
            chars=stamp.missing_listed(missing),
        )
    font = _font_name(font_path)

    def style(name: str, **kwargs: Any) -> ParagraphStyle:
        base: dict[str, Any] = {
            "fontName": font,
            "fontSize": BODY_PT,
            "leading": LINE_PT,
            "wordWrap": "CJK",
        }
        base.update(kwargs)
        return ParagraphStyle(name, **base)

    title_style = style("title", fontSize=TITLE_PT, leading=TITLE_PT * 1.6, alignment=TA_CENTER)
    number_style = style("number", alignment=TA_RIGHT, fontSize=BODY_PT - 2)
    body_style = style("body", firstLineIndent=2 * BODY_PT, alignment=TA_JUSTIFY)
    right_style = style("right", alignment=TA_RIGHT, rightIndent=2 * BODY_PT)

    def para(text: str, paragraph_style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text), paragraph_style)

    story: list[Flowable] = [
        para(title, title_style),
        para(document_number, number_style),
        Spacer(1, LINE_PT / 2),
    ]
    if addressee:
        story.append(para(f"{addressee}：", style("addressee")))
    body = [para(text, body_style) for text in paragraphs if text.strip()]
    story.extend(body[:-1])

    name_width = pdfmetrics.stringWidth(organization_name, font, BODY_PT)
    date_width = pdfmetrics.stringWidth(date_text, font, BODY_PT)
    frame_width = A4[0] - 2 * 28 * mm
    block_centre = frame_width - 2 * BODY_PT - max(name_width, date_width) / 2
    anchor = _SealAnchor(x_offset=block_centre, y_offset=0.0)
    block: list[Flowable] = [
        Spacer(1, LINE_PT * 2),
        para(organization_name, right_style),
        anchor,
        para(date_text, right_style),
        Spacer(1, SEAL_ROOM_BELOW_PT),
    ]
    story.append(_TextWithSignature(body[-1], block) if body else KeepTogether(block))

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=28 * mm,
        rightMargin=28 * mm,
        topMargin=37 * mm,
        bottomMargin=35 * mm,
        title=title,
        author=organization_name,
        subject=document_number,
        creator="Zhiyin",
        initialFontName=font,
    )
    document.build(story)
    if anchor.position is None:
        raise DocumentError(gettext_noop("证明版面生成失败：未能确定盖章位置。"))
    return CertificatePdf(pdf=out.getvalue(), seal_position=anchor.position)


_POSITION_PATTERN = re.compile(
    re.escape(_POSITION_KEYWORD.encode("ascii")) + rb"(\d+),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)"
)


def seal_position_read(pdf_bytes: bytes) -> SealPosition | None:
    """The seal place a certificate built here recorded in its keywords, if any.

    Read from the bytes rather than by parsing the PDF (which costs more than the rest of
    the sealing bookkeeping): reportlab writes the keywords as a plain literal string. It
    is only a default place for the seal, so a look-alike string elsewhere in a file can
    at worst move the seal, never change what is signed.
    """
    matches = list(_POSITION_PATTERN.finditer(pdf_bytes))
    if not matches:
        return None
    last = matches[-1]
    return SealPosition(page=int(last[1]), x=float(last[2]), y=float(last[3]))
