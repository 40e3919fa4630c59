"""The workspace's one write: a person's display preference."""

from __future__ import annotations

from zhiyin.orgs.models import Person
from zhiyin.workspace.models import DisplayPreference


def display_preference_set(*, person: Person, large_text: bool) -> DisplayPreference:
    """Store whether the person reads pages in the large-type mode (长辈版)."""
    pref, _created = DisplayPreference.objects.update_or_create(
        person=person, defaults={"large_text": large_text}
    )
    return pref
