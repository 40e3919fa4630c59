"""How a seal looks on the page: the seal face, the QR code and the caption beneath it.

Split from ``pades`` so the signing and verification code stays readable. Everything here
is drawn as PDF operators (glyph outlines instead of an embedded font, QR modules as
rectangles) and cached where the input repeats: the seal image once per PNG, glyph
outlines once per character, the QR matrix once per link.
"""

from __future__ import annotations

import functools
import io
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fontTools.pens.basePen import BasePen
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.stamp.base import BaseStamp, BaseStampStyle

from zhiyin.lib import stamp
from zhiyin.lib.qr import qr_rows

PT_PER_MM = 72 / 25.4
QR_MM = 18.0
CAPTION_PT = 6.0
GAP_PT = 3.0

# --- appearance pieces, cached where the input repeats ----------------------------------


@dataclass(frozen=True)
class EncodedImage:
    width: int
    height: int
    rgb: bytes
    alpha: bytes


@functools.lru_cache(maxsize=32)
def encoded_stamp(png: bytes) -> EncodedImage:
    """The seal PNG split into colour and soft mask, Flate-compressed once per image."""
    with Image.open(io.BytesIO(png)) as opened:
        image = opened.convert("RGBA")
    alpha = image.getchannel("A")
    return EncodedImage(
        width=image.width,
        height=image.height,
        rgb=zlib.compress(image.convert("RGB").tobytes(), 6),
        alpha=zlib.compress(alpha.tobytes(), 6),
    )


class _PdfPathPen(BasePen):  # type: ignore[misc]  # fontTools is untyped
    """Glyph outlines as PDF path operators, so captions need no embedded font."""

    def __init__(self) -> None:
        super().__init__(glyphSet=None)
        self.ops: list[str] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{pt[0]:g} {pt[1]:g} m")

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{pt[0]:g} {pt[1]:g} l")

    def _curveToOne(
        self, pt1: tuple[float, float], pt2: tuple[float, float], pt3: tuple[float, float]
    ) -> None:
        self.ops.append(f"{pt1[0]:g} {pt1[1]:g} {pt2[0]:g} {pt2[1]:g} {pt3[0]:g} {pt3[1]:g} c")

    def _closePath(self) -> None:
        self.ops.append("h")


@functools.lru_cache(maxsize=2048)
def _glyph_outline(path: str, index: int, char: str) -> tuple[bytes, float]:
    """Outline in font units and advance as a fraction of the em."""
    with stamp.FONT_LOCK:
        font = stamp.font_tables(path, index)
        glyph_name = font.getBestCmap()[ord(char)]
        pen = _PdfPathPen()
        font.getGlyphSet()[glyph_name].draw(pen)
        units = font["head"].unitsPerEm
        advance = font["hmtx"][glyph_name][0] / units
    ops = " ".join(pen.ops)
    return (f"{1 / units:g} 0 0 {1 / units:g} 0 0 cm {ops} f" if ops else "").encode(), advance


def _text_width(text: str, size: float, font_path: str | None) -> float:
    path, index = stamp.font_locate(font_path)
    return sum(_glyph_outline(path, index, char)[1] for char in text) * size


def _text_ops(text: str, size: float, x: float, y: float, font_path: str | None) -> bytes:
    path, index = stamp.font_locate(font_path)
    parts = []
    cursor = x
    for char in text:
        outline, advance = _glyph_outline(path, index, char)
        if outline:
            parts.append(b"q %g 0 0 %g %g %g cm %s Q" % (size, size, cursor, y, outline))
        cursor += advance * size
    return b" ".join(parts)


@functools.lru_cache(maxsize=256)
def _qr_rows(data: str) -> tuple[str, ...]:
    """Kept for the next seal on the same document, which carries the same link. The
    standard's choice of the best mask is kept, and made fast (see `zhiyin.lib.qr`)."""
    return qr_rows(data)


_DARK_RUN = re.compile("1+")


def _qr_ops(data: str, side: float, x: float, y: float) -> bytes:
    """QR code as filled rectangles on a white quiet zone, one rectangle per dark run."""
    rows = _qr_rows(data)
    modules = len(rows)
    quiet = 2
    cell = side / (modules + 2 * quiet)
    rects = []
    for row_index, row in enumerate(rows):
        row_y = y + side - (quiet + row_index + 1) * cell
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            rects.append(
                b"%.3f %.3f %.3f %.3f re"
                % (x + (quiet + start) * cell, row_y, (end - start) * cell, cell)
            )
    white = b"1 g %.3f %.3f %.3f %.3f re f" % (x, y, side, side)
    return white + b" 0 g " + b" ".join(rects) + b" f"


@dataclass(frozen=True)
class Layout:
    """Where the pieces sit inside the signature widget, in points from its lower left."""

    width: float
    height: float
    seal_x: float
    seal_y: float
    seal_side: float
    qr_x: float
    qr_y: float
    qr_side: float
    captions: tuple[tuple[str, float, float], ...]


def seal_layout(
    *, x: float, y: float, size_mm: float, captions: Sequence[str], font_path: str | None
) -> tuple[Layout, tuple[float, float, float, float]]:
    """Seal centred on (x, y); QR code and captions below it, or to its left when the seal
    sits too close to the bottom edge of the page for them to fit below.

    The same for every document of one template and number width, so kept per process."""
    return _seal_layout(x, y, size_mm, tuple(captions), font_path)


@functools.lru_cache(maxsize=256)
def _seal_layout(
    x: float, y: float, size_mm: float, captions: tuple[str, ...], font_path: str | None
) -> tuple[Layout, tuple[float, float, float, float]]:
    seal = size_mm * PT_PER_MM
    qr_side = QR_MM * PT_PER_MM
    line = CAPTION_PT * 1.4
    widths = [_text_width(text, CAPTION_PT, font_path) for text in captions]
    column = max([qr_side, *widths])
    column_height = qr_side + GAP_PT + line * len(captions)
    below_height = seal + GAP_PT + column_height
    if y + seal / 2 - below_height >= 0:
        width, height = max(seal, column), below_height
        seal_x, seal_y = (width - seal) / 2, height - seal
        column_x, column_top = (width - column) / 2, height - seal - GAP_PT
    else:
        width, height = column + GAP_PT + seal, max(seal, column_height)
        seal_x, seal_y = column + GAP_PT, 0.0
        column_x, column_top = 0.0, column_height
    qr_y = column_top - qr_side
    placed = tuple(
        (text, column_x + (column - text_width) / 2, qr_y - GAP_PT - line * (i + 1) + 1.5)
        for i, (text, text_width) in enumerate(zip(captions, widths, strict=True))
    )
    layout = Layout(
        width=width,
        height=height,
        seal_x=seal_x,
        seal_y=seal_y,
        seal_side=seal,
        qr_x=column_x + (column - qr_side) / 2,
        qr_y=qr_y,
        qr_side=qr_side,
        captions=placed,
    )
    left = x - seal_x - seal / 2
    bottom = y - seal_y - seal / 2
    return layout, (left, bottom, left + width, bottom + height)


@dataclass(frozen=True)
class SealStampStyle(BaseStampStyle):
    image: EncodedImage | None = None
    layout: Layout | None = None
    verify_url: str = ""
    font_path: str | None = None
    border_width: int = 0

    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> SealStamp:
        return SealStamp(writer=writer, style=self, box=box)


class SealStamp(BaseStamp):
    def _render_inner_content(self) -> list[bytes]:
        style: SealStampStyle = self.style
        image, layout = style.image, style.layout
        assert image is not None
        assert layout is not None
        writer = self.writer
        assert writer is not None
        soft_mask = writer.add_object(
            generic.StreamObject(
                _image_dict(image, "/DeviceGray"),
                encoded_data=image.alpha,
            )
        )
        image_dict = _image_dict(image, "/DeviceRGB")
        image_dict[pdf_name("/SMask")] = soft_mask
        image_ref = writer.add_object(generic.StreamObject(image_dict, encoded_data=image.rgb))
        self.set_resource(
            category=ResourceType.XOBJECT, name=pdf_name("/SealFace"), value=image_ref
        )
        # Multiply, as ink does: the name and date under the seal stay legible.
        self.set_resource(category=ResourceType.EXT_G_STATE, name=pdf_name("/Ink"), value=_MULTIPLY)
        # The seal face and captions are the same for every document of the seal with the
        # same layout and number; only the QR code's link is new each time.
        return [
            *_fixed_commands(layout, style.font_path),
            b"q " + _qr_ops(style.verify_url, layout.qr_side, layout.qr_x, layout.qr_y) + b" Q",
        ]


@functools.lru_cache(maxsize=256)
def _fixed_commands(layout: Layout, font_path: str | None) -> tuple[bytes, ...]:
    """Drawing the seal face and the captions, built once per layout."""
    return (
        b"q /Ink gs %g 0 0 %g %g %g cm /SealFace Do Q"
        % (layout.seal_side, layout.seal_side, layout.seal_x, layout.seal_y),
        *(
            b"q 0 g " + _text_ops(text, CAPTION_PT, cx, cy, font_path) + b" Q"
            for text, cx, cy in layout.captions
        ),
    )


_MULTIPLY = generic.DictionaryObject(  # type: ignore[no-untyped-call]  # unannotated in pyHanko
    {pdf_name("/Type"): pdf_name("/ExtGState"), pdf_name("/BM"): pdf_name("/Multiply")}
)


def _number(value: int) -> generic.NumberObject:
    return generic.NumberObject(value)  # type: ignore[no-untyped-call]  # unannotated in pyHanko


def _image_dict(image: EncodedImage, colour_space: str) -> generic.DictionaryObject:
    return generic.DictionaryObject(  # type: ignore[no-untyped-call]  # unannotated in pyHanko
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): _number(image.width),
            pdf_name("/Height"): _number(image.height),
            pdf_name("/ColorSpace"): pdf_name(colour_space),
            pdf_name("/BitsPerComponent"): _number(8),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        }
    )
