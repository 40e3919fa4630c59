"""A photo of the stamped page, as a PNG, without Pillow."""

from __future__ import annotations

import struct
import zlib

_FONT = {  # 5x7 bitmap glyphs, one string of 7 rows of 5 bits each
    "0": "01110100011001110101110011000101110",
    "1": "00100011000010000100001000010001110",
    "2": "01110100010000100010001000100011111",
    "3": "11111000100010000010000011000101110",
    "4": "00010001100101010010111110001000010",
    "5": "11111100001111000001000011000101110",
    "6": "00110010001000011110100011000101110",
    "7": "11111000010001000100010000100001000",
    "8": "01110100011000101110100011000101110",
    "9": "01110100011000101111000010001001100",
    "-": "00000000000000011111000000000000000",
    " ": "0" * 35,
    "A": "01110100011000111111100011000110001",
    "B": "11110100011000111110100011000111110",
    "C": "01110100011000010000100001000101110",
    "D": "11110100011000110001100011000111110",
    "E": "11111100001000011110100001000011111",
    "F": "11111100001000011110100001000010000",
    "G": "01110100011000010111100011000101111",
    "H": "10001100011000111111100011000110001",
    "I": "01110001000010000100001000010001110",
    "J": "00111000100001000010000101001001100",
    "K": "10001100101010011000101001001010001",
    "L": "10000100001000010000100001000011111",
    "M": "10001110111010110101100011000110001",
    "N": "10001100011100110101100111000110001",
    "O": "01110100011000110001100011000101110",
    "P": "11110100011000111110100001000010000",
    "Q": "01110100011000110001101011001001101",
    "R": "11110100011000111110101001001010001",
    "S": "01111100001000001110000010000111110",
    "T": "11111001000010000100001000010000100",
    "U": "10001100011000110001100011000101110",
    "V": "10001100011000110001100010101000100",
    "W": "10001100011000110101101011010101010",
    "X": "10001100010101000100010101000110001",
    "Y": "10001100011000101010001000010000100",
    "Z": "11111000010001000100010001000011111",
}


def page_photo(text: str, width: int = 320, height: int = 200) -> bytes:
    """A PNG 'photo' of the stamped page: white paper, the document number in black,
    and a red ring where the seal landed. Deterministic for the same text."""
    pixels = [[(250, 250, 245)] * width for _ in range(height)]
    scale, x0, y0 = 2, 12, 16
    for index, char in enumerate(text.upper()[:24]):
        glyph = _FONT.get(char, _FONT[" "])
        for row in range(7):
            for col in range(5):
                if glyph[row * 5 + col] == "1":
                    for dy in range(scale):
                        for dx in range(scale):
                            x, y = x0 + index * 6 * scale + col * scale + dx, y0 + row * scale + dy
                            if x < width and y < height:
                                pixels[y][x] = (20, 20, 20)
    cx, cy, radius = width - 80, height - 80, 56
    for y in range(height):
        for x in range(width):
            distance = ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
            if radius - 6 <= distance <= radius:
                pixels[y][x] = (200, 16, 32)
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
