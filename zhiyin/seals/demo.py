"""The demo district's seals: per village a group seal for each villagers' group, the
party, committee, certificate, finance and contract seals, and the collective's seal
(electronic where a village would have an electronic one).

Runs after `zhiyin.orgs.demo.demo_load` (settings.DEMO_PLACES_LOADERS); idempotent: a seal
whose code exists is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhiyin.orgs.models import District, Village
from zhiyin.seals.models import Seal, SealKind
from zhiyin.seals.services import seal_register

_VILLAGE_SEALS = (
    (SealKind.PARTY, False),
    (SealKind.COMMITTEE, True),
    (SealKind.CERTIFICATE, True),
    (SealKind.FINANCE, False),
    (SealKind.CONTRACT, True),
)


@transaction.atomic
def seals_demo_load(district: District) -> int:
    """Register the demo seals of every village in `district`; returns how many were new."""
    existing = set(Seal.objects.values_list("code", flat=True))
    created = 0

    def register(village: Village, kind: str, code: str, **extra: Any) -> None:
        nonlocal created
        if code not in existing:
            seal_register(village=village, kind=kind, code=code, by=None, **extra)
            created += 1

    for village in district.villages.order_by("code"):
        for group in village.groups.order_by("number"):
            register(village, SealKind.GROUP, f"{village.code}-G{group.number:02d}", group=group)
        for kind, electronic in _VILLAGE_SEALS:
            register(village, kind, f"{village.code}-{kind.upper()[:4]}", is_electronic=electronic)
        collective = village.collectives.order_by("pk").first()
        if collective is not None:
            register(
                village,
                SealKind.COLLECTIVE,
                f"{village.code}-JJ",
                collective=collective,
                is_electronic=True,
            )
    return created
