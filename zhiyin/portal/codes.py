"""How a one-time login code reaches a phone.

`CodeSender` is the interface an SMS gateway implements; `settings.PORTAL_CODE_SENDER`
names the class. The development sender only writes the code to the server log (and
the page shows it in a notice while DEBUG is on).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("zhiyin.portal")


class CodeSender(Protocol):
    def send(self, *, phone: str, code: str) -> None: ...


class LogCodeSender:
    """Development: the code goes to the server log."""

    def send(self, *, phone: str, code: str) -> None:
        logger.warning("login code for %s******%s: %s", phone[:3], phone[-2:], code)


@cache
def _sender(path: str) -> CodeSender:
    sender: CodeSender = import_string(path)()
    return sender


def code_sender() -> CodeSender:
    return _sender(getattr(settings, "PORTAL_CODE_SENDER", "zhiyin.portal.codes.LogCodeSender"))
