"""Reads of the seals registry, scoped to the asking person's grants."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from zhiyin.audit.models import AuditEvent
from zhiyin.audit.selectors import audit_events_for_target
from zhiyin.orgs.models import Village
from zhiyin.orgs.selectors import Access
from zhiyin.seals.models import Seal


def seals_for(*, access: Access) -> QuerySet[Seal]:
    """Village-wide roles see all the village's seals; a group leader sees their group's."""
    if access.person_id is None:
        return Seal.objects.none()
    return Seal.objects.filter(
        Q(village__district_id__in=access.district_ids)
        | Q(village_id__in=access.village_ids)
        | Q(group_id__in=access.group_ids)
    ).select_related("village", "group", "collective")


def seals_of_village(*, access: Access, village: Village) -> QuerySet[Seal]:
    return seals_for(access=access).filter(village=village)


def seal_get_for(*, access: Access, pk: int) -> Seal:
    seal = seals_for(access=access).filter(pk=pk).first()
    if seal is None:
        raise Http404
    return seal


def seal_history(*, seal: Seal) -> QuerySet[AuditEvent]:
    return audit_events_for_target(target=seal)
