"""The error a service raises when a person asked for something the rules do not allow.

Its message is plain Chinese a person can act on; views show it and change nothing.
"""

from __future__ import annotations


class RuleViolation(Exception):
    """A business rule refused the change; `message` is shown to the person as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
