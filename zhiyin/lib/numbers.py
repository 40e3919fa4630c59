"""Numbers as people type them on a phone: "３.５", "3亩", "2.5 亩", "三亩", "两亩半".

A Chinese keyboard often gives full-width digits, people add the unit they read on the
label, and older residents write the number in characters. We read all of these; what
we cannot read for sure ("3,5": three and a half, or thirty-five?) is refused with the
reason, never guessed. Pure functions, no Django: the portal and the tests share them.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# Units a label may carry; the field's own unit is always accepted too.
KNOWN_UNITS = ("平方米", "亩", "元", "茬", "人", "个", "次", "份", "岁", "张", "头", "只", "户")
PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# Longer than any area, count or amount a form asks for; Decimal arithmetic stays exact.
MAX_CHARS = 15
THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


class NumberError(ValueError):
    """Why the text is not a number we can take; `reason` is a key the caller words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _chinese_integer(text: str) -> int:
    """ "三" → 3, "十二" → 12, "一百零五" → 105, "二十" → 20; raises NumberError otherwise."""
    if not text:
        raise NumberError("not_a_number")
    total, section, digit = 0, 0, None
    for char in text:
        if char in DIGITS:
            if digit is not None and digit != 0:
                raise NumberError("not_a_number")  # "三三" is no number
            digit = DIGITS[char]
        elif char in UNITS:
            unit = UNITS[char]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
                continue
            section += (1 if digit is None else digit) * unit
            digit = None
        else:
            raise NumberError("not_a_number")
    return total + section + (digit or 0)


def _chinese_number(text: str) -> Decimal:
    """Chinese numerals with 点 for the decimal point and a trailing 半 for a half."""
    half = text.endswith("半") and len(text) > 1
    if text == "半":
        return Decimal("0.5")
    if half:
        text = text[:-1]
    if "点" in text:
        whole, _, fraction = text.partition("点")
        if not fraction or any(c not in DIGITS for c in fraction):
            raise NumberError("not_a_number")
        digits = "".join(str(DIGITS[c]) for c in fraction)
        value = Decimal(f"{_chinese_integer(whole)}.{digits}")
    else:
        value = Decimal(_chinese_integer(text))
    return value + (Decimal("0.5") if half else 0)


def number_parse(text: str, *, unit: str = "") -> Decimal:
    """The number in `text`, or NumberError("comma" | "too_long" | "not_a_number").

    Full-width forms are folded (NFKC), spaces dropped, a trailing unit (the field's or a
    common one) removed, thousands separators in the "1,234.5" shape accepted, and a
    decimal comma refused: "3,5" could mean 3.5 or 35 and an amount must not be guessed.
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    folded = re.sub(r"\s+", "", folded).replace("。", ".").replace("，", ",")
    for suffix in (unit, *KNOWN_UNITS):
        if suffix and folded.endswith(suffix + "半"):
            folded = folded[: -len(suffix) - 1] + "半"  # 两亩半
            break
        if suffix and folded.endswith(suffix) and len(folded) > len(suffix):
            folded = folded[: -len(suffix)]
            break
    if not folded:
        raise NumberError("not_a_number")
    if THOUSANDS.match(folded):
        folded = folded.replace(",", "")
    elif "," in folded:
        raise NumberError("comma")
    if PLAIN.match(folded):
        if len(folded) > MAX_CHARS:
            raise NumberError("too_long")
        return Decimal(folded)
    if len(folded) <= MAX_CHARS:
        return _chinese_number(folded)
    raise NumberError("not_a_number")
