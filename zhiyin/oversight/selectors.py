"""Scoped reads of the log for people: who may see an object's story (the trace page, its
export and its proofs).

- an inspector or admin whose grant covers the object's village (a village grant for that
  village, or a district grant for its district); for objects without a village (a
  district, a bureau, a person without a home village) a district-wide inspector or
  admin of that district; events without a target (failed logins, refusals) only
  district-wide inspectors and admins;
- the people the object belongs to: the person themself (`orgs.person`), and whoever an
  object's `applicant_id`, `on_behalf_of_id` or `resident_id` field names (a seal
  request's clerk and the resident it is for, a resident's application) — read as
  duck-typed fields with `village_id`, `home_village_id`, `district_id`, so that oversight
  needs no import of the app that owns the object;
- nobody else: `Http404`, as everywhere, so nobody learns that the object exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model, QuerySet
from django.http import Http404

from zhiyin.audit.models import AuditEvent
from zhiyin.audit.selectors import audit_event_get, audit_events_for
from zhiyin.orgs.models import District, Person, Role, Village
from zhiyin.orgs.selectors import Access

OVERSIGHT_ROLES = (Role.INSPECTOR, Role.ADMIN)
#: Fields naming the person(s) an object belongs to, who may read its story.
OWNER_FIELDS = ("applicant_id", "on_behalf_of_id", "resident_id")


def is_overseer(access: Access) -> bool:
    """Holds an inspector or admin grant somewhere: may read checkpoints and the key."""
    return any(access.has_role(role) for role in OVERSIGHT_ROLES)


def _district_overseer(access: Access, district_id: int | None) -> bool:
    return any(
        g.role in OVERSIGHT_ROLES and g.village_id is None and g.bureau_id is None
        for g in access.grants
        if district_id is None or g.district_id == district_id
    )


def _oversees_village(access: Access, village: Village) -> bool:
    return any(access.village_wide(village, role) for role in OVERSIGHT_ROLES)


@dataclass(frozen=True)
class TraceTarget:
    target_type: str
    target_id: str
    label: str


def _target_object(target_type: str, target_id: str) -> Model | None:
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return None
    try:
        obj: Model | None = model._default_manager.filter(pk=target_id).first()
    except (ValueError, TypeError):
        return None
    return obj


def _may_see(access: Access, obj: Model) -> bool:
    if access.person_id is None:
        return False
    if isinstance(obj, Person) and obj.pk == access.person_id:
        return True
    if any(getattr(obj, name, None) == access.person_id for name in OWNER_FIELDS):
        return True
    if isinstance(obj, Village):
        village_id: int | None = obj.pk
    else:
        village_id = getattr(obj, "village_id", None) or getattr(obj, "home_village_id", None)
    if village_id is not None:
        village = Village.objects.filter(pk=village_id).first()
        return village is not None and _oversees_village(access, village)
    district_id = obj.pk if isinstance(obj, District) else getattr(obj, "district_id", None)
    if district_id is None:
        return False
    return _district_overseer(access, district_id)


def trace_target_get_for(*, access: Access, target_type: str, target_id: str) -> TraceTarget:
    """The object whose story `access` may read; Http404 otherwise."""
    obj = _target_object(target_type, target_id)
    if obj is None or not _may_see(access, obj):
        raise Http404
    return TraceTarget(target_type=target_type, target_id=target_id, label=str(obj))


def trace_events(*, target: TraceTarget) -> QuerySet[AuditEvent]:
    """The events of a target already scoped by `trace_target_get_for`, in log order."""
    return audit_events_for(target_type=target.target_type, target_id=target.target_id)


def event_get_for(*, access: Access, seq: int) -> AuditEvent:
    """One event, if the viewer may see its target (targetless: district overseers)."""
    event = audit_event_get(seq=seq)
    if not event.target_type:
        if _district_overseer(access, None):
            return event
        raise Http404
    trace_target_get_for(access=access, target_type=event.target_type, target_id=event.target_id)
    return event
