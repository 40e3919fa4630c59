"""Chinese resident ID numbers (GB 11643-1999): check digit, masking, demo generation.

The ID number is sensitive personal information (个人信息保护法): screens show it masked as
`4602**********1234`; only a logged full view reveals it.
"""

from __future__ import annotations

import datetime as dt
import random

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_number_is_valid(value: str) -> bool:
    """True for an 18-character number whose date is real and whose check digit matches."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    if value[17] not in "0123456789X":
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_digit(value[:17]) == value[17]


def id_number_mask(value: str) -> str:
    """Keep the first four and last four characters: `4602**********1234`."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def phone_mask(phone: str) -> str:
    """Keep the first three and last four digits: `138****5678`."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else ("*" * len(phone))


def id_number_make(*, region: str, birth: dt.date, serial: int, female: bool) -> str:
    """A well-formed number for demo data. The serial's last digit carries the sex."""
    even = random.Random(serial).randrange(0, 10, 2)  # noqa: S311  # demo data, not secrets
    sequence = serial % 100 * 10 + even + (0 if female else 1)
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)
