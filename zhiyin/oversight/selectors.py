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

Who sees warnings:

- a district-wide inspector: every warning of their district;
- a village inspector: their village's warnings;
- a village's secretary: their own village's warnings, never another's;
- everyone else (clerks, custodians, residents, bureaus, the public): none. The public
  sees only the 村务公开 ledger, which carries no warnings' personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404

from zhiyin.audit.models import AuditEvent
from zhiyin.audit.selectors import audit_event_get, audit_events_for
from zhiyin.orgs.models import District, Person, Role, RoleGrant, Village
from zhiyin.orgs.selectors import Access
from zhiyin.oversight.models import Warning, WarningRule, WarningState

#: Who reads the log: inspectors, admins and the audit administrator (三员分立; a
#: district-wide role that reads stories and checkpoints but no documents' pages).
OVERSIGHT_ROLES = (Role.INSPECTOR, Role.ADMIN, Role.AUDIT_ADMIN)
#: Fields naming the person(s) an object belongs to, who may read its story.
OWNER_FIELDS = ("applicant_id", "on_behalf_of_id", "resident_id")


def is_overseer(access: Access) -> bool:
    """Holds an inspector, admin or audit admin grant: may read checkpoints and the key."""
    return any(access.has_role(role) for role in OVERSIGHT_ROLES)


def _district_overseer(access: Access, district_id: int | None) -> bool:
    return any(
        g.role in OVERSIGHT_ROLES and g.village_id is None and g.bureau_id is None
        for g in access.grants
        if district_id is None or g.district_id == district_id
    )


def _oversees_village(access: Access, village: Village) -> bool:
    if any(
        g.role == Role.AUDIT_ADMIN and g.district_id == village.district_id for g in access.grants
    ):
        return True
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


def event_get_for(*, access: Access, seq: int, log: str = "") -> AuditEvent:
    """One event of `log`, if the viewer may see its target (targetless: district overseers)."""
    event = audit_event_get(seq=seq, log=log)
    if not event.target_type:
        if _district_overseer(access, None):
            return event
        raise Http404
    trace_target_get_for(access=access, target_type=event.target_type, target_id=event.target_id)
    return event


# --- warnings --------------------------------------------------------------------------


def _inspector_scope(access: Access) -> tuple[set[int], set[int]]:
    districts: set[int] = set()
    villages: set[int] = set()
    for g in access.grants:
        if g.role != Role.INSPECTOR or g.bureau_id is not None:
            continue
        if g.village_id is None:
            districts.add(g.district_id)
        elif g.group_id is None:
            villages.add(g.village_id)
    return districts, villages


def _secretary_villages(access: Access) -> set[int]:
    return {
        g.village_id
        for g in access.grants
        if g.role == Role.SECRETARY and g.village_id is not None and g.group_id is None
    }


def is_inspector(access: Access) -> bool:
    """Whether the person holds an inspector grant for some district or village."""
    districts, villages = _inspector_scope(access)
    return bool(districts or villages)


def sees_warnings(access: Access) -> bool:
    """Whether the person may open the warnings pages: an inspector, or a village's secretary."""
    return is_inspector(access) or bool(_secretary_villages(access))


def warnings_for(*, access: Access) -> QuerySet[Warning]:
    """Warnings of the districts and villages the person inspects and of the villages they are
    secretary of; none to anyone else."""
    if access.person_id is None:
        return Warning.objects.none()
    districts, villages = _inspector_scope(access)
    villages |= _secretary_villages(access)
    if not districts and not villages:
        return Warning.objects.none()
    return Warning.objects.filter(Q(district_id__in=districts) | Q(village_id__in=villages))


def warning_get_for(*, access: Access, pk: int) -> Warning:
    """One warning within `warnings_for`, with what its page shows; any other is `Http404`."""
    warning = (
        warnings_for(access=access)
        .select_related("rule", "village", "request__matter", "seal", "closed_by", "rectified_by")
        .filter(pk=pk)
        .first()
    )
    if warning is None:
        raise Http404
    return warning


def oversight_villages_for(*, access: Access) -> QuerySet[Village]:
    """Villages whose statistics and ledgers a person may read: inspectors' and admins'
    (district-wide: their districts; village grants: that village), and secretaries'
    own village."""
    districts: set[int] = set()
    villages: set[int] = set()
    for g in access.grants:
        if g.bureau_id is not None:
            continue
        if g.role in (Role.INSPECTOR, Role.ADMIN):
            if g.village_id is None:
                districts.add(g.district_id)
            elif g.group_id is None:
                villages.add(g.village_id)
        elif g.role == Role.SECRETARY and g.village_id is not None and g.group_id is None:
            villages.add(g.village_id)
    if access.person_id is None or not (districts or villages):
        return Village.objects.none()
    return Village.objects.filter(Q(district_id__in=districts) | Q(pk__in=villages))


@dataclass(frozen=True)
class WarningFilter:
    village: int | None = None
    rule: str = ""
    state: str = ""
    severity: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def warnings_filtered(*, access: Access, f: WarningFilter) -> QuerySet[Warning]:
    """`warnings_for` narrowed by the workbench's filter (village, rule, state, severity, time)."""
    qs = warnings_for(access=access)
    if f.village:
        qs = qs.filter(village_id=f.village)
    if f.rule:
        qs = qs.filter(rule__code=f.rule)
    if f.state == "open":
        qs = qs.filter(
            state__in=[WarningState.RED, WarningState.YELLOW, WarningState.DISMISS_PENDING]
        )
    elif f.state:
        qs = qs.filter(state=f.state)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.start:
        qs = qs.filter(raised_at__date__gte=f.start)
    if f.end:
        qs = qs.filter(raised_at__date__lte=f.end)
    return qs


def warning_counts(*, qs: QuerySet[Warning]) -> dict[str, dict[str, int]]:
    """{state: {severity: n}} in one GROUP BY."""
    counts: dict[str, dict[str, int]] = {}
    for row in qs.order_by().values("state", "severity").annotate(n=Count("pk")):
        counts.setdefault(row["state"], {})[row["severity"]] = row["n"]
    return counts


def rules_all() -> QuerySet[WarningRule]:
    """Every warning rule by code (for the admin and filters; rules are settings, not personal
    data)."""
    return WarningRule.objects.order_by("code")


def warnings_of_request(*, access: Access, request_id: int) -> QuerySet[Warning]:
    """The warnings about one request that the person may see."""
    return warnings_for(access=access).filter(request_id=request_id).select_related("rule")


def warning_rules_enabled(codes: Sequence[str]) -> list[WarningRule]:
    """The enabled rules among `codes`, by code (not scoped: rules are district-wide settings)."""
    return list(WarningRule.objects.filter(code__in=codes, enabled=True).order_by("code"))


def event_rules_enabled(codes: Sequence[str]) -> list[WarningRule]:
    """`warning_rules_enabled` for the audit subscriber, which asks on every audited write
    some rule listens to: plain SQL, as the ORM would spend more time building the query
    than the database spends answering it."""
    if not codes:
        return []
    table = connection.ops.quote_name(WarningRule._meta.db_table)
    marks = ", ".join(["%s"] * len(codes))
    return list(
        WarningRule.objects.raw(
            f"SELECT * FROM {table} WHERE enabled = %s AND code IN ({marks}) ORDER BY code",  # noqa: S608  # no user input
            [True, *codes],
        )
    )


def _grants(person: Person) -> list[RoleGrant]:
    """The person's active grants, read fresh (never a cached `Access`)."""
    return list(RoleGrant.objects.active().filter(person=person))


def is_village_secretary(person: Person, village_id: int) -> bool:
    """Whether `person` holds an active village-wide secretary grant for the village."""
    return any(
        g.role == Role.SECRETARY and g.village_id == village_id and g.group_id is None
        for g in _grants(person)
    )


def inspects(person: Person, warning: Warning) -> bool:
    """An inspector whose grant covers the warning's village (district or village)."""
    return any(
        g.role == Role.INSPECTOR
        and (
            g.village_id == warning.village_id
            or (
                g.village_id is None
                and g.bureau_id is None
                and g.district_id == warning.district_id
            )
        )
        for g in _grants(person)
    )


def is_senior_inspector(person: Person, warning: Warning) -> bool:
    """A district-wide inspector of the warning's district (纪委 at district level)."""
    return any(
        g.role == Role.INSPECTOR
        and g.village_id is None
        and g.bureau_id is None
        and g.district_id == warning.district_id
        for g in _grants(person)
    )


def village_secretaries(village_id: int) -> list[Person]:
    """The active secretaries of a village (village-wide grants only): whom warnings tell."""
    ids = (
        RoleGrant.objects.active()
        .filter(role=Role.SECRETARY, village_id=village_id, group__isnull=True)
        .values("person_id")
    )
    return list(Person.objects.filter(pk__in=ids, is_active=True))
