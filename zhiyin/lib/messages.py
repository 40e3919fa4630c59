"""Errors from the Django-free helpers that a person can act on, translatable later.

The helpers cannot call Django's gettext, yet their messages reach people. So each
message is a Chinese template marked with `gettext_noop` (which `makemessages` collects)
plus its parameters; `str(error)` is the Chinese text, and the Django layer shows
`gettext(error.template) % error.params` in the person's language
(`zhiyin.core.errors.RuleViolation.from_error`).
"""

from __future__ import annotations


def gettext_noop(text: str) -> str:
    """Mark `text` for translation without translating it (the name makemessages knows)."""
    return text


class PersonFacingError(ValueError):
    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)
