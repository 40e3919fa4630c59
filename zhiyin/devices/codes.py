"""The one-time codes of terminals: enrolment codes and the stamping code printed as a QR
code on the approved sheet. Only their SHA-256 (of the upper-case code) is compared."""

from __future__ import annotations

import hashlib
import secrets

#: Characters of the printed one-time code: no 0/O/1/I to misread on paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


def code_new(length: int) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))
