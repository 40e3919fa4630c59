"""QR code matrices, made in a fraction of the time the `qrcode` package takes.

The symbol is the one `qrcode` makes (same segments, version, error correction words and
mask; a test compares them), built differently:

- the data bits are written as bit strings, and the Reed–Solomon error correction words
  come from a multiplication table per generator polynomial instead of polynomial objects;
- the symbol's layout for a version is worked out once: which cells hold data in which
  order, each mask's bits over the data cells, the function patterns and format/version
  information per mask;
- the encoder must try the eight masks and keep the one with the lowest penalty
  (ISO/IEC 18004 §7.8.3: long runs, 2×2 blocks, finder-like patterns, dark/light
  balance): each masked symbol is the unmasked one XOR a precomputed mask per row (and
  per column, for the column runs), scored on rows held as integers and bit strings.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Iterable, Sequence

import qrcode
from qrcode import base, util
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

#: A finder-like pattern with four light modules after or before it, as the standard
#: scores it (every position, in rows and columns).
_FINDER_LIKE = ("10111010000", "00001011101")
_PAD = ("11101100", "00010001")  # the standard's pad codewords 0xEC, 0x11, alternating


class _BitString:
    """What `qrcode`'s segments write into: bits appended as '0'/'1' text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def put(self, num: int, length: int) -> None:
        self.parts.append(format(num, f"0{length}b"))
        self.length += length

    def __len__(self) -> int:
        return self.length

    def text(self) -> str:
        return "".join(self.parts)


def _segments_bits(segments: Sequence[util.QRData], version: int) -> _BitString:
    bits = _BitString()
    for segment in segments:
        bits.put(segment.mode, 4)
        bits.put(len(segment), util.length_in_bits(segment.mode, version))
        segment.write(bits)  # type: ignore[arg-type]  # it only calls put(num, length)
    return bits


def _version_fitting(segments: Sequence[util.QRData], error_correction: int) -> int:
    """The smallest version holding the segments (as `qrcode.QRCode.best_fit`)."""
    start = 1
    while True:
        needed = len(_segments_bits(segments, start))
        version = bisect_left(util.BIT_LIMIT_TABLE[error_correction], needed, start)
        if version == 41:
            raise DataOverflowError
        if util.mode_sizes_for_version(version) is util.mode_sizes_for_version(start):
            return version
        start = version


@functools.lru_cache(maxsize=64)
def _generator_products(ec_count: int) -> tuple[tuple[int, ...], ...]:
    """For each byte value f: f × the generator polynomial's coefficients (after the
    leading 1), in GF(256) — one row per possible feedback byte."""
    generator = [1]
    for i in range(ec_count):  # ∏ (x − αⁱ)
        generator = [
            a ^ (base.gexp(base.glog(b) + i) if b else 0)
            for a, b in zip([*generator, 0], [0, *generator], strict=True)
        ]
    coefficients = generator[1:]
    rows = [tuple(0 for _ in coefficients)]
    for factor in range(1, 256):
        log = base.glog(factor)
        rows.append(tuple(base.gexp(log + base.glog(c)) if c else 0 for c in coefficients))
    return tuple(rows)


def _error_correction_words(data: Sequence[int], ec_count: int) -> list[int]:
    products = _generator_products(ec_count)
    remainder = [0] * ec_count
    for byte in data:
        row = products[byte ^ remainder[0]]
        remainder = [a ^ b for a, b in zip(remainder[1:], row, strict=False)]
        remainder.append(row[-1])
    return remainder


def _codewords(segments: Sequence[util.QRData], version: int, error_correction: int) -> bytes:
    """Data and error correction codewords, interleaved (as `qrcode.util.create_data`)."""
    blocks = base.rs_blocks(version, error_correction)
    bit_limit = sum(block.data_count * 8 for block in blocks)
    text = _segments_bits(segments, version).text()
    text += "0" * min(bit_limit - len(text), 4)  # terminator
    text += "0" * (-len(text) % 8)
    text += "".join(_PAD[i % 2] for i in range((bit_limit - len(text)) // 8))
    data = int(text, 2).to_bytes(bit_limit // 8, "big")
    data_blocks: list[bytes] = []
    ec_blocks: list[list[int]] = []
    offset = 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_error_correction_words(chunk, block.total_count - block.data_count))
    out = bytearray()
    for i in range(max(len(b) for b in data_blocks)):
        out.extend(b[i] for b in data_blocks if i < len(b))
    for i in range(max(len(b) for b in ec_blocks)):
        out.extend(b[i] for b in ec_blocks if i < len(b))
    return bytes(out)


class _Layout:
    """One symbol version's fixed parts, worked out once."""

    def __init__(self, version: int, error_correction: int) -> None:
        code = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
        size = self.size = code.modules_count = version * 4 + 17
        self.masks: list[list[int]] = []  # per mask: its bits over the data cells, by row
        self.formats: list[list[int]] = []  # per mask: dark function and format cells
        modules: list[list[bool | None]] = []
        for mask in range(9):
            test = mask == 8  # one more pass: the blank format info masks are scored with
            code.modules = modules = [[None] * size for _ in range(size)]
            code.setup_position_probe_pattern(0, 0)
            code.setup_position_probe_pattern(size - 7, 0)
            code.setup_position_probe_pattern(0, size - 7)
            code.setup_position_adjust_pattern()
            code.setup_timing_pattern()
            code.setup_type_info(test, mask % 8)
            if version >= 7:
                code.setup_type_number(test)
            if test:
                self.blank = [_bits(row) for row in modules]
                break
            flip = util.mask_func(mask)
            self.masks.append(
                [
                    _bits([modules[r][c] is None and bool(flip(r, c)) for c in range(size)])
                    for r in range(size)
                ]
            )
            self.formats.append([_bits(row) for row in modules])
        # Data cells in the order the standard fills them: two-column strips from the
        # right, upwards then downwards, skipping the vertical timing column.
        order: list[tuple[int, int]] = []
        upward = True
        for right in range(size - 1, 0, -2):
            if right <= 6:
                right -= 1
            rows = range(size - 1, -1, -1) if upward else range(size)
            order.extend(
                (r, 1 << c) for r in rows for c in (right, right - 1) if modules[r][c] is None
            )
            upward = not upward
        self.cells = order
        scoring = _scoring(size)
        self.packed_masks = [scoring.pack(rows) for rows in self.masks]
        self.packed_blank = scoring.pack(self.blank)
        self.packed_masks_by_column = [scoring.pack(_transpose(rows, size)) for rows in self.masks]
        self.packed_blank_by_column = scoring.pack(_transpose(self.blank, size))


@functools.lru_cache(maxsize=64)
def _layout(version: int, error_correction: int) -> _Layout:
    return _Layout(version, error_correction)


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _bits(cells: Iterable[bool | None]) -> int:
    """A row of cells as an int, bit `col` set for a dark cell at column `col`."""
    return int(bytes(bool(cell) for cell in reversed(list(cells))).translate(_DIGITS), 2)


def _transpose(rows: Sequence[int], size: int) -> list[int]:
    """Columns of a symbol given as row ints (in some fixed bit order: transposing is
    linear, so XOR and OR commute with it, and run/pattern counts ignore the order)."""
    texts = [format(row, f"0{size}b") for row in rows]
    return [int("".join(column), 2) for column in zip(*texts, strict=True)]


class _Scoring:
    """Bit masks to score a symbol of one size held as one packed int: its rows, then
    its columns, each line in `size` bits followed by one spare bit."""

    def __init__(self, size: int) -> None:
        self.size = size
        stride = self.stride = size + 1
        lines = 2 * size

        def each_line(count: int, width: int) -> int:
            one = (1 << width) - 1
            return sum(one << (line * stride) for line in range(count))

        self.neighbours = each_line(lines, size - 1)  # cell and the next in its line
        self.finder_starts = each_line(lines, size - 10)  # room for 11 cells
        self.block_corners = each_line(size - 1, size - 1)  # rows with a row below
        self.rows_offset = size * stride

    def pack(self, rows: Sequence[int]) -> int:
        stride = self.stride
        packed = 0
        for index, row in enumerate(rows):
            packed |= row << (index * stride)
        return packed

    def penalty(self, rows: int, columns: int) -> int:
        lines = rows | (columns << self.rows_offset)
        # Runs of five or more alike: 3 + (length − 5) each, which is one per window of
        # five alike cells plus two per run.
        alike = ~(lines ^ (lines >> 1)) & self.neighbours
        windows = alike & (alike >> 1) & (alike >> 2) & (alike >> 3)
        score = windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
        # Finder-like patterns with four light cells on either side.
        for pattern in _FINDER_LIKE:
            found = self.finder_starts
            for offset, cell in enumerate(reversed(pattern)):
                shifted = lines >> offset
                found &= shifted if cell == "1" else ~shifted
            score += 40 * found.bit_count()
        # 2×2 blocks of one colour.
        same = ~(rows ^ (rows >> self.stride))
        blocks = same & (same >> 1) & ~(rows ^ (rows >> 1)) & self.block_corners
        score += 3 * blocks.bit_count()
        dark = rows.bit_count()
        size = self.size
        score += 10 * int(abs(dark * 100 / (size * size) - 50) // 5)
        return score


@functools.lru_cache(maxsize=64)
def _scoring(size: int) -> _Scoring:
    return _Scoring(size)


def penalty(rows: list[int], size: int) -> int:
    """ISO/IEC 18004 penalty of a symbol given as row ints (bit `col` = dark module).

    Columns are scored in whatever bit order the transposition gives, which changes no
    count: runs, blocks and the finder-like patterns (both directions) are the same
    mirrored."""
    scoring = _scoring(size)
    return scoring.penalty(scoring.pack(rows), scoring.pack(_transpose(rows, size)))


def qr_rows(data: str, *, error_correction: int = ERROR_CORRECT_M) -> tuple[str, ...]:
    """The smallest QR symbol holding `data`, with the best of the eight masks by the
    standard's penalty (ties: the lowest mask number), as one '0'/'1' string per row,
    columns left to right."""
    segments = list(util.optimal_data_chunks(data, minimum=20))  # as QRCode.add_data
    version = _version_fitting(segments, error_correction)
    layout = _layout(version, error_correction)
    size = layout.size
    codewords = _codewords(segments, version, error_correction)
    # Unmasked data cells; cells beyond the codewords (remainder bits) stay light.
    plain = [0] * size
    stream = format(int.from_bytes(codewords, "big"), f"0{len(codewords) * 8}b")
    cells = layout.cells
    index = stream.find("1")
    while index >= 0:
        row, bit = cells[index]
        plain[row] |= bit
        index = stream.find("1", index + 1)
    scoring = _scoring(size)
    plain_rows = scoring.pack(plain)
    plain_columns = scoring.pack(_transpose(plain, size))
    best, best_score = 0, -1
    for mask in range(8):
        score = scoring.penalty(
            (plain_rows ^ layout.packed_masks[mask]) | layout.packed_blank,
            (plain_columns ^ layout.packed_masks_by_column[mask]) | layout.packed_blank_by_column,
        )
        if best_score < 0 or score < best_score:
            best, best_score = mask, score
    final = [
        (p ^ m) | f for p, m, f in zip(plain, layout.masks[best], layout.formats[best], strict=True)
    ]
    return tuple(format(row, f"0{size}b")[::-1] for row in final)


def qr_matrix(
    data: str, *, error_correction: int = ERROR_CORRECT_M
) -> tuple[tuple[bool, ...], ...]:
    """`qr_rows` as cells (True = dark)."""
    return tuple(
        tuple(cell == "1" for cell in row)
        for row in qr_rows(data, error_correction=error_correction)
    )
