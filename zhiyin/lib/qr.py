"""QR code matrices, with the standard's best mask found in a fraction of the time.

A QR encoder must try the eight mask patterns and keep the one with the lowest penalty
(ISO/IEC 18004 §7.8.3: long runs, 2×2 blocks, finder-like patterns, dark/light balance).
The `qrcode` package lays out the whole symbol once per mask and scores it cell by cell
in Python, about 5 ms for a verification link — a third of sealing a document. Here the
symbol is laid out once: every mask only flips data modules, so each masked symbol is the
first one XOR a precomputed bit mask per row, and the penalty is scored on rows held as
integers and bit strings. The result is the same symbol `qrcode` makes with the same mask
(a test compares all eight, and the penalties).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from itertools import pairwise

import qrcode
from qrcode import util
from qrcode.constants import ERROR_CORRECT_M

_RUNS = re.compile(r"0{5,}|1{5,}")
#: A finder-like pattern with four light modules after or before it. Neither overlaps
#: itself, so counting each with str.count finds every position `qrcode` scores.
_FINDER_LIKE = ("10111010000", "00001011101")


@functools.lru_cache(maxsize=64)
def _layout(
    version: int, error_correction: int
) -> tuple[list[int], list[list[int]], list[list[int]], list[int]]:
    """For one symbol version: which cells hold data (one int per row, bit `col` set);
    per mask, its mask bits over the data cells and its dark function cells; and the dark
    function cells with the format and version information left blank, which is how
    masks are scored (as `qrcode` does)."""
    code = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    size = code.modules_count = version * 4 + 17
    data_rows: list[int] = []
    mask_rows: list[list[int]] = []
    format_rows: list[list[int]] = []
    scored_rows: list[int] = []
    for mask in range(9):
        test = mask == 8  # one more pass: the blank format info masks are scored with
        code.modules = [[None] * size for _ in range(size)]
        code.setup_position_probe_pattern(0, 0)
        code.setup_position_probe_pattern(size - 7, 0)
        code.setup_position_probe_pattern(0, size - 7)
        code.setup_position_adjust_pattern()
        code.setup_timing_pattern()
        code.setup_type_info(test, mask % 8)
        if version >= 7:
            code.setup_type_number(test)
        if test:
            scored_rows = [_bits(row) for row in code.modules]
            break
        flip = util.mask_func(mask)
        if mask == 0:
            data_rows = [_bits([cell is None for cell in row]) for row in code.modules]
        mask_rows.append(
            [
                _bits([code.modules[r][c] is None and bool(flip(r, c)) for c in range(size)])
                for r in range(size)
            ]
        )
        format_rows.append([_bits(row) for row in code.modules])
    return data_rows, mask_rows, format_rows, scored_rows


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _bits(cells: Iterable[bool | None]) -> int:
    """A row of cells as an int, bit `col` set for a dark cell at column `col`."""
    return int(bytes(bool(cell) for cell in reversed(list(cells))).translate(_DIGITS), 2)


def penalty(rows: list[int], size: int) -> int:
    """ISO/IEC 18004 penalty of a symbol given as row ints (bit `col` = dark module).

    Rows are scored as bit strings right to left, which changes no count: runs, blocks
    and the finder-like patterns (both directions) are the same mirrored."""
    texts = [format(row, f"0{size}b") for row in rows]
    lines = "|".join(texts + ["".join(col) for col in zip(*texts, strict=True)])
    runs = _RUNS.findall(lines)
    score = sum(map(len, runs)) - 2 * len(runs)
    score += 40 * sum(lines.count(pattern) for pattern in _FINDER_LIKE)
    pairs = (1 << (size - 1)) - 1
    for upper, lower in pairwise(rows):
        same = ~(upper ^ lower)
        blocks = same & (same >> 1) & ~(upper ^ (upper >> 1)) & pairs
        score += 3 * blocks.bit_count()
    dark = sum(row.bit_count() for row in rows)
    score += 10 * int(abs(dark * 100 / (size * size) - 50) // 5)
    return score


def qr_rows(data: str, *, error_correction: int = ERROR_CORRECT_M) -> tuple[str, ...]:
    """The smallest QR symbol holding `data`, with the best of the eight masks by the
    standard's penalty (ties: the lowest mask number), as one '0'/'1' string per row,
    columns left to right."""
    code = qrcode.QRCode(error_correction=error_correction, border=0, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    size = code.modules_count
    data_cells, masks, formats, blank = _layout(code.version, error_correction)
    base = [_bits(row) for row in code.modules]
    # The data cells without mask 0; each mask's symbol is them with its own mask bits,
    # plus its function patterns (which carry the mask number in the format info).
    plain = [(row & data) ^ m0 for row, data, m0 in zip(base, data_cells, masks[0], strict=True)]
    best, best_score = 0, -1
    for mask in range(8):
        rows = [(row ^ m) | f for row, m, f in zip(plain, masks[mask], blank, strict=True)]
        score = penalty(rows, size)
        if best_score < 0 or score < best_score:
            best, best_score = mask, score
    final = [(row ^ m) | f for row, m, f in zip(plain, masks[best], formats[best], strict=True)]
    return tuple(format(row, f"0{size}b")[::-1] for row in final)


def qr_matrix(
    data: str, *, error_correction: int = ERROR_CORRECT_M
) -> tuple[tuple[bool, ...], ...]:
    """`qr_rows` as cells (True = dark)."""
    return tuple(
        tuple(cell == "1" for cell in row)
        for row in qr_rows(data, error_correction=error_correction)
    )
