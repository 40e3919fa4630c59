"""Who did something, and whom to tell: the small protocols `audit` and `delivery` take, so
that they never import the person model of `orgs` (a `Person` satisfies both)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Actor(Protocol):
    """Whoever acted: an id (recorded) and the name shown in the log, frozen at the time."""

    @property
    def id(self) -> int: ...

    @property
    def display_name(self) -> str: ...


@runtime_checkable
class Recipient(Actor, Protocol):
    """Someone to tell: an actor with the addresses the channels may use."""

    @property
    def email(self) -> str: ...

    @property
    def phone(self) -> str | None: ...
