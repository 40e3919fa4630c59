"""What every JSON API answer shares: one error body, the statuses an operation documents,
and closed sets of values (a model's choices) as enums in the OpenAPI document.

An error is always `{"code": …, "message": …, "errors": […]}`: `code` is a stable machine
word from `ErrorCode` (clients branch on it), `message` is Chinese a person can act on,
`errors` lists the fields a 422 refused. `zhiyin.api` installs the one exception handler
that turns every refusal into this body; apps raise `ApiError` (or `RuleViolation`,
`Http404`, ninja's `HttpError`) and declare their statuses with `answers()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from django.db import models
from ninja import Field, Schema
from ninja.errors import HttpError
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

ErrorCode = Literal[
    "bad_request",
    "refused",
    "unauthorized",
    "forbidden",
    "second_factor_required",
    "not_found",
    "conflict",
    "too_large",
    "invalid",
    "too_many_requests",
    "server_error",
]

#: The code an error of a status gets when the raiser names none.
CODE_FOR_STATUS: dict[int, ErrorCode] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


class FieldErrorOut(Schema):
    """One refused input: where it is (`["body", "decision"]`) and what is wrong."""

    loc: list[str | int]
    message: str


class ErrorOut(Schema):
    """The body of every error answer of the API."""

    code: ErrorCode
    message: str
    errors: list[FieldErrorOut] = Field(default_factory=list)


class ApiError(HttpError):
    """A refusal with its own stable code, e.g. `ApiError(409, "conflict", _("…"))`."""

    def __init__(self, status_code: int, code: ErrorCode, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


def error_body(
    code: ErrorCode, message: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The error body as a plain dict (for code outside ninja, e.g. a middleware)."""
    return {"code": code, "message": message, "errors": errors or []}


def answers(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's `response=`: its success models and the error statuses it may give,
    each documented with `ErrorOut`."""
    return {**ok, **dict.fromkeys(errors, ErrorOut)}


#: A row's id in a path or a body: a positive 64-bit number (a larger one cannot name a
#: row and would overflow the database's integer).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
#: A count or a sequence number: 0 up to the database's largest integer.
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]


def binary_answer(description: str, *content_types: str) -> dict[str, Any]:
    """The OpenAPI description of a success answer that is a file, not JSON."""
    schema = {"type": "string", "format": "binary"}
    return {
        "description": description,
        "content": {content_type: {"schema": schema} for content_type in content_types},
    }


#: Statuses every authenticated operation may answer: no or bad credentials (401), a
#: privileged person without the second factor or a session call without CSRF (403),
#: and parameters that do not fit the schema (422).
AUTHENTICATED = (401, 403, 422)


@dataclass(frozen=True)
class OneOf:
    """A string restricted to a closed set of values, in validation and in the OpenAPI
    document (`enum`): `Annotated[str, OneOf(RequestStatus)]` for a model's choices, or
    `OneOf(ChainStep._meta.get_field("scope_level").choices)`. `blank` also admits ""."""

    choices: type[models.TextChoices] | tuple[tuple[str, Any], ...]
    blank: bool = False

    def __init__(
        self,
        choices: type[models.TextChoices] | Iterable[tuple[str, Any]] | None,
        blank: bool = False,
    ) -> None:
        is_enum = isinstance(choices, type) and issubclass(choices, models.TextChoices)
        object.__setattr__(self, "choices", choices if is_enum else tuple(choices or ()))
        object.__setattr__(self, "blank", blank)

    def values(self) -> list[str]:
        """The admitted values, in the choices' order."""
        if isinstance(self.choices, tuple):
            found = [str(value) for value, _label in self.choices]
        else:
            found = [str(value) for value in self.choices.values]
        return found + ([""] if self.blank else [])

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            str, core_schema.literal_schema(self.values())
        )
