"""The error a service raises when a person asked for something the rules do not allow.

Its message is plain Chinese a person can act on (in their language); views show it
and change nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext

from zhiyin.lib.messages import PersonFacingError


class RuleViolation(Exception):
    """A business rule refused the change; `message` is shown to the person as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def from_error(cls, error: PersonFacingError) -> RuleViolation:
        """A helper's refusal (seal face, document, calendar…) in the person's language."""
        return cls(
            gettext(error.template) % error.params if error.params else gettext(error.template)
        )
