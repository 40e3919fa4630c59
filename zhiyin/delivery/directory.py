"""Whom delivery asks about people it does not know: the district admins of a district,
who may change a bureau's endpoints and are told when one is switched off.

Delivery imports no domain app; `orgs` registers the lookup at start-up (as it registers
who is a resident in `channels`). Until then nobody is a district admin: endpoint
changes by a person are refused, and nobody is told.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from zhiyin.core.actors import Actor, Recipient

DistrictAdmins = Callable[[int], Sequence[Recipient]]


def _nobody(district_id: int) -> Sequence[Recipient]:
    return ()


_district_admins: DistrictAdmins = _nobody


def district_admins_register(lookup: DistrictAdmins) -> None:
    """Tell delivery how to find a district's active admins (district-wide grants only)."""
    global _district_admins  # one registration at start-up
    _district_admins = lookup


def district_admins(district_id: int) -> Sequence[Recipient]:
    """The active district-wide admins of `district_id`, as registered by the domain."""
    return _district_admins(district_id)


def is_district_admin(by: Actor | None, district_id: int) -> bool:
    """Whether `by` administers the district; `None` (the system itself: management
    commands, the demo loader) always may."""
    if by is None:
        return True
    return any(admin.id == by.id for admin in district_admins(district_id))
