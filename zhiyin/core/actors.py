"""Who did something, whom to tell, which bureau: the small protocols `audit` and
`delivery` take, so that they never import the models of `orgs` (a `Person` satisfies
`Actor` and `Recipient`, a `Bureau` satisfies `BureauRef`)."""

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


@runtime_checkable
class BureauRef(Protocol):
    """A bureau (职能部门) as delivery addresses it: its id, name and district, so that
    delivery takes the `orgs.Bureau` the domain hands it without importing `orgs`."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def district_id(self) -> int: ...
