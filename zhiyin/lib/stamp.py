"""The face of an electronic seal, drawn the way a physical village seal looks.

People recognise a seal by its shape before they read it: red ring, star in the middle,
the organization's name round the top, the purpose straight along the bottom
(REFERENCE.md, "Seals"). The image is made from the organization's name on demand rather
than uploaded, so no one can slip in a scanned seal of another organization.

A missing glyph would print as an empty box or nothing at all — a seal with a hole in
the name — so every character is checked against the font before anything is drawn.
"""

from __future__ import annotations

import functools
import io
import math
import shutil
import subprocess
import threading
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from zhiyin.lib.messages import PersonFacingError, gettext_noop

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/arphic/uming.ttc"
PREFERRED_FAMILY = "AR PL UMing CN"
SEAL_RED = (230, 0, 18)
DIAMETER_MM = 42.0
SPECIAL_PURPOSE_DIAMETER_MM = 40.0
STAR_MM = 14.0
RIM_MM = 1.2
MM_PER_INCH = 25.4


# fontTools loads tables lazily and is not thread-safe; web workers may seal in threads.
FONT_LOCK = threading.Lock()


class StampError(PersonFacingError):
    """The seal cannot be drawn as asked; the message is meant for the person asking."""


@functools.lru_cache(maxsize=8)
def font_locate(font_path: str | None = None) -> tuple[str, int]:
    """Path and collection index of the Song/Ming face to use.

    A configured path wins; otherwise the Debian package's file; otherwise whatever
    fontconfig offers for the family. The CN member of the collection is chosen because
    its glyphs follow mainland simplified forms.
    """
    for candidate in (font_path, DEFAULT_FONT_PATH):
        if candidate and Path(candidate).is_file():
            return candidate, _preferred_index(candidate)
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run(  # noqa: S603  # fixed arguments, no user input
            [fc_match, "-f", "%{file}", PREFERRED_FAMILY],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout.strip()
        if found and Path(found).is_file():
            return found, _preferred_index(found)
    raise StampError(
        gettext_noop(
            "找不到印章字体（宋体/明体）。请安装 fonts-arphic-uming，或配置字体文件路径：%(path)s"
        ),
        path=font_path or DEFAULT_FONT_PATH,
    )


def _preferred_index(path: str) -> int:
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    collection = TTCollection(path, lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == PREFERRED_FAMILY:
            return index
    return 0


@functools.lru_cache(maxsize=4)
def font_tables(path: str, index: int) -> TTFont:
    """Parsed lazily and kept: the collection is 20 MB and only a few glyphs are used."""
    return TTFont(path, fontNumber=index, lazy=True)


@functools.lru_cache(maxsize=4)
def _font_cmap(path: str, index: int) -> frozenset[int]:
    with FONT_LOCK:
        return frozenset(font_tables(path, index).getBestCmap())


def font_missing(*texts: str, font_path: str | None = None) -> list[str]:
    """Characters of ``texts`` the font has no glyph for, each listed once, in order."""
    path, index = font_locate(font_path)
    cmap = _font_cmap(path, index)
    missing: list[str] = []
    for text in texts:
        for char in text:
            if not char.isspace() and ord(char) not in cmap and char not in missing:
                missing.append(char)
    return missing


def missing_listed(missing: list[str]) -> str:
    """Shows the code point too, since a missing character often renders as a box."""
    return "、".join(f"“{char}”（U+{ord(char):04X}）" for char in missing)


def font_check(*texts: str, font_path: str | None = None) -> None:
    """Refuse seal text the font cannot draw, naming each missing character."""
    missing = font_missing(*texts, font_path=font_path)
    if missing:
        raise StampError(
            gettext_noop(
                "印章字体中没有这些字：%(chars)s，无法制作印章。"
                "请核对名称用字，或由管理员更换包含这些字的字体。"
            ),
            chars=missing_listed(missing),
        )


def _mm(value: float, dpi: int) -> float:
    return value * dpi / MM_PER_INCH


def _glyph(
    char: str, font: ImageFont.FreeTypeFont, em_px: int, width_px: int, height_px: int
) -> Image.Image:
    """One character as an alpha mask, squeezed to the narrow shape seal lettering has."""
    canvas = Image.new("L", (em_px, em_px), 0)
    ImageDraw.Draw(canvas).text((em_px / 2, em_px / 2), char, fill=255, font=font, anchor="mm")
    squeezed = canvas.resize((max(width_px, 1), max(height_px, 1)), Image.Resampling.LANCZOS)
    # Engraved seal lettering is heavier than book type; thicken the strokes slightly.
    return squeezed.filter(ImageFilter.MaxFilter(3))


def _star(center: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(90 + i * 36)
        points.append((center + radius * math.cos(angle), center - radius * math.sin(angle)))
    return points


@functools.lru_cache(maxsize=64)
def stamp_render(
    *,
    name: str,
    purpose: str = "",
    diameter_mm: float | None = None,
    dpi: int = 600,
    font_path: str | None = None,
) -> bytes:
    """PNG bytes of the seal face, transparent outside the ink.

    Cached by its inputs: the same seal is stamped on many documents, and drawing it
    again each time would only cost time.
    """
    name = "".join(name.split())
    purpose = "".join(purpose.split())
    if not name:
        raise StampError(gettext_noop("印章名称不能为空。"))
    font_check(name, purpose, font_path=font_path)
    path, index = font_locate(font_path)
    if diameter_mm is None:
        diameter_mm = SPECIAL_PURPOSE_DIAMETER_MM if purpose else DIAMETER_MM

    size = math.ceil(_mm(diameter_mm, dpi))
    center = size / 2
    radius = size / 2
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    rim = _mm(RIM_MM, dpi)
    draw.ellipse((0, 0, size - 1, size - 1), fill=255)
    draw.ellipse((rim, rim, size - 1 - rim, size - 1 - rim), fill=0)
    draw.polygon(_star(center, _mm(STAR_MM, dpi) / 2), fill=255)

    scale = diameter_mm / DIAMETER_MM
    span = 230.0 if purpose else 250.0
    outer = radius - rim - _mm(0.9 * scale, dpi)
    _draw_arc_text(mask, name, path, index, dpi, outer, scale, span)
    if purpose:
        _draw_purpose(mask, purpose, path, index, dpi, center, radius, scale)

    image = Image.new("RGBA", (size, size), (*SEAL_RED, 0))
    image.putalpha(mask)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _draw_arc_text(
    mask: Image.Image,
    text: str,
    path: str,
    index: int,
    dpi: int,
    outer: float,
    scale: float,
    span: float,
) -> None:
    """Name round the upper arc, left to right, each character upright towards the rim.

    Long names keep their height and get narrower and closer together, as a seal
    engraver would do, instead of running past the arc.
    """
    count = len(text)
    height = _mm(7.2 * scale, dpi) if count <= 12 else _mm(6.4 * scale, dpi)
    mid = outer - height / 2
    step = min(25.0, span / count)
    arc_width = 2 * math.pi * mid * step / 360
    width = min(height * 0.86, arc_width * 0.92)
    em = math.ceil(height)
    font = ImageFont.truetype(path, em, index=index)
    center = mask.width / 2
    start = 90 + step * (count - 1) / 2
    for i, char in enumerate(text):
        angle = start - i * step
        glyph = _glyph(char, font, em, round(width), round(height))
        glyph = glyph.rotate(angle - 90, resample=Image.Resampling.BICUBIC, expand=True)
        x = center + mid * math.cos(math.radians(angle)) - glyph.width / 2
        y = center - mid * math.sin(math.radians(angle)) - glyph.height / 2
        mask.paste(255, (round(x), round(y)), glyph)


def _draw_purpose(
    mask: Image.Image,
    text: str,
    path: str,
    index: int,
    dpi: int,
    center: float,
    radius: float,
    scale: float,
) -> None:
    height = _mm(4.6 * scale, dpi)
    baseline_mid = center + radius * 0.52
    chord = 2 * math.sqrt(max(radius**2 - (baseline_mid + height / 2 - center) ** 2, 0.0))
    available = chord * 0.72
    gap = height * 0.12
    width = min(height * 0.9, (available - gap * (len(text) - 1)) / len(text))
    em = math.ceil(height)
    font = ImageFont.truetype(path, em, index=index)
    total = width * len(text) + gap * (len(text) - 1)
    left = center - total / 2
    for i, char in enumerate(text):
        glyph = _glyph(char, font, em, round(width), round(height))
        x = left + i * (width + gap)
        mask.paste(255, (round(x), round(baseline_mid - height / 2)), glyph)
