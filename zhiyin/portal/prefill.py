"""Where a form's known answers come from.

A `PrefillSource` answers prefill keys for a person, each with its value and whether the
citizen may change it — the shape of the government data platform's "tag data" call.
Sources are tried in the order of `settings.PORTAL_PREFILL_SOURCES`; the first one that
knows a key wins. The district register comes first, the person's own profile last.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from zhiyin.orgs.models import Person
from zhiyin.portal.models import PREFILL_KEYS, RegisterEntry


@dataclass(frozen=True)
class PrefillValue:
    value: str
    fixed: bool


class PrefillSource(Protocol):
    def fetch(self, person: Person) -> dict[str, PrefillValue]: ...


def register_entry_for(person: Person) -> RegisterEntry | None:
    if not person.id_number:
        return None
    entries = RegisterEntry.objects.filter(id_number=person.id_number).select_related(
        "village", "group"
    )
    if person.home_village is not None:
        entries = entries.filter(district_id=person.home_village.district_id)
    return entries.first()


class RegisterPrefillSource:
    """The district register an admin imported (`RegisterEntry`)."""

    def fetch(self, person: Person) -> dict[str, PrefillValue]:
        entry = register_entry_for(person)
        if entry is None:
            return {}
        values = {
            "real_name": entry.real_name,
            "id_number": entry.id_number,
            "social_security_number": entry.social_security_number,
            "village": entry.village.name,
            "group": entry.group.name if entry.group else "",
            "phone": entry.phone,
        }
        fixed = set(entry.fixed_fields)
        return {k: PrefillValue(v, k in fixed) for k, v in values.items() if v}


class ProfilePrefillSource:
    """The person's own account: never fixed, only a suggestion."""

    def fetch(self, person: Person) -> dict[str, PrefillValue]:
        values = {
            "real_name": person.real_name,
            "id_number": person.id_number or "",
            "social_security_number": person.social_security_number,
            "village": person.home_village.name if person.home_village else "",
            "group": person.home_group.name if person.home_group else "",
            "phone": person.phone or "",
        }
        return {k: PrefillValue(v, False) for k, v in values.items() if v}


DEFAULT_SOURCES = (
    "zhiyin.portal.prefill.RegisterPrefillSource",
    "zhiyin.portal.prefill.ProfilePrefillSource",
)


@cache
def _sources(paths: tuple[str, ...]) -> tuple[PrefillSource, ...]:
    return tuple(import_string(p)() for p in paths)


def prefill_for(person: Person) -> dict[str, PrefillValue]:
    paths = tuple(getattr(settings, "PORTAL_PREFILL_SOURCES", DEFAULT_SOURCES))
    result: dict[str, PrefillValue] = {}
    for source in _sources(paths):
        for key, value in source.fetch(person).items():
            if key in PREFILL_KEYS and key not in result:
                result[key] = value
    return result
