"""Reads of the portal, scoped: a resident sees only their own applications; a clerk the
applications of their village; others nothing (`Http404`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zhiyin.approvals.models import RequestStatus, StepStatus
from zhiyin.approvals.selectors import request_timeline
from zhiyin.orgs.models import District, Person, Role
from zhiyin.orgs.selectors import Access
from zhiyin.portal.models import (
    FINAL_STATUSES,
    Application,
    ApplicationFile,
    ApplicationStatus,
    PortalSettings,
    Service,
)
from zhiyin.seals.models import Seal, SealStatus


def services_for(*, person: Person) -> QuerySet[Service]:
    """The active services of the district the resident lives in; none for someone without a home
    village."""
    village = person.home_village
    if village is None:
        return Service.objects.none()
    return Service.objects.filter(district_id=village.district_id, is_active=True).select_related(
        "subsidy"
    )


def service_get(*, district_id: int, code: str) -> Service:
    """One active service of a district by code; `Http404` otherwise."""
    service = Service.objects.filter(district_id=district_id, code=code, is_active=True).first()
    if service is None:
        raise Http404
    return service


def applications_of(*, person: Person) -> QuerySet[Application]:
    """A resident's own applications (filed by them or for them)."""
    return Application.objects.filter(resident=person).select_related("service")


def application_get_own(*, person: Person, pk: int) -> Application:
    """One of the resident's own applications; anyone else's is `Http404`."""
    application = applications_of(person=person).filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


def clerk_village_ids(access: Access) -> set[int]:
    """The villages the person is a village-wide clerk of."""
    return {
        g.village_id
        for g in access.grants
        if g.role == Role.CLERK and g.village_id is not None and g.group_id is None
    }


def applications_to_handle(*, access: Access) -> QuerySet[Application]:
    """待受理: submitted or resubmitted applications of the clerk's villages."""
    return (
        Application.objects.filter(
            village_id__in=clerk_village_ids(access),
            status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED],
        )
        .select_related("service", "resident", "village")
        .order_by("created_at", "pk")
    )


def application_get_for_clerk(*, access: Access, pk: int) -> Application:
    """One application of a village the person is clerk of; `Http404` otherwise."""
    application = (
        Application.objects.filter(pk=pk, village_id__in=clerk_village_ids(access))
        .select_related("service", "resident", "village", "group")
        .first()
    )
    if application is None:
        raise Http404
    return application


def application_file_get(
    *, person: Person, access: Access, pk: int, file_pk: int
) -> ApplicationFile:
    """A file of an application that is the person's own or of a village they are clerk of;
    `Http404` otherwise."""
    visible = Application.objects.filter(
        Q(resident=person) | Q(village_id__in=clerk_village_ids(access)), pk=pk
    )
    found = ApplicationFile.objects.filter(application__in=visible, pk=file_pk).first()
    if found is None:
        raise Http404
    return found


def residents_to_file_for(*, access: Access) -> QuerySet[Person]:
    """Active residents of the villages the person is clerk of, by name (whom they may file for)."""
    return Person.objects.filter(
        home_village_id__in=clerk_village_ids(access), is_active=True
    ).order_by("real_name")


def resident_get_for_clerk(*, access: Access, pk: int) -> Person:
    """One resident within `residents_to_file_for`; `Http404` otherwise."""
    person = residents_to_file_for(access=access).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


@dataclass(frozen=True)
class TimelineRow:
    title: str
    detail: str
    at: datetime | None
    deadline: datetime | None
    state: str  # done, current, waiting, stopped


def _show_names(district: District) -> bool:
    return official_names_shown(district.pk)


def official_names_shown(district_id: int) -> bool:
    """The district's choice: do residents see the names of the officials who decided?
    (`settings.OFFICIAL_NAMES_SHOWN_CHECK` points here for the staff pages too.)"""
    setting = PortalSettings.objects.filter(district_id=district_id).first()
    return bool(setting and setting.show_official_names)


#: The `source_type` sealing uses when it hands a sealed seal request to delivery.
DELIVERY_SOURCE_TYPE = "approvals.sealrequest"


def delivered_at(application: Application) -> datetime | None:
    """When the bureau acknowledged the sealed document (已送达), once delivery says so."""
    from zhiyin.delivery.selectors import delivery_status_for

    if application.seal_request_id is None:
        return None
    state = delivery_status_for(
        source_type=DELIVERY_SOURCE_TYPE, source_id=application.seal_request_id
    )
    return state.delivered_at


def application_timeline(*, application: Application) -> list[TimelineRow]:
    """Submitted → each approval step (role, time, deadline) → sealed → delivered."""
    titles = {
        "submitted": _("提交申请"),
        "accepted": _("村委会受理"),
        "resubmitted": _("修改后重新提交"),
        "withdrawn": _("撤回"),
    }
    rows = [
        TimelineRow(titles[e.kind], e.text, e.at, None, "done")
        for e in application.events.filter(kind__in=list(titles))
    ]
    request = application.seal_request
    if request is None:
        if application.status == ApplicationStatus.SUBMITTED:
            rows.append(
                TimelineRow(_("村委会受理"), _("等待村委会经办人受理"), None, None, "current")
            )
        return rows
    names = _show_names(application.village.district)
    for step in request_timeline(request=request).filter(round=request.round):
        role = step.get_role_display()
        if step.status == StepStatus.DONE:
            who = f"{role} {step.decided_by.real_name}" if names and step.decided_by else role
            detail = _("%(who)s：%(d)s") % {"who": who, "d": step.get_decision_display()}
            if step.comment:
                detail += f"（{step.comment}）"
            rows.append(TimelineRow(step.name, detail, step.decided_at, None, "done"))
        elif step.status == StepStatus.ACTIVE:
            rows.append(
                TimelineRow(
                    step.name,
                    _("%(role)s办理中") % {"role": role},
                    step.activated_at,
                    step.deadline,
                    "current",
                )
            )
        elif step.status == StepStatus.CANCELLED:
            if step.decided_at is not None:
                detail = _("%(role)s：%(d)s") % {"role": role, "d": step.get_decision_display()}
                if step.comment:
                    detail += f"（{step.comment}）"
                rows.append(TimelineRow(step.name, detail, step.decided_at, None, "stopped"))
        else:
            rows.append(
                TimelineRow(
                    step.name, _("等待%(role)s办理") % {"role": role}, None, None, "waiting"
                )
            )
    if request.status == RequestStatus.RETURNED:
        rows.append(
            TimelineRow(_("退回"), request.outcome_comment, request.decided_at, None, "current")
        )
    if request.status == RequestStatus.APPROVED:
        rows.append(TimelineRow(_("盖章"), _("等待印章管理员盖章"), None, None, "current"))
    if request.status == RequestStatus.COMPLETED:
        rows.append(
            TimelineRow(_("已盖章"), _("印章管理员已盖章"), request.completed_at, None, "done")
        )
        bureau = request.matter.target_bureau
        if bureau is not None:
            moment = delivered_at(application)
            detail = bureau.name if moment else _("正在送达%(b)s") % {"b": bureau.name}
            rows.append(
                TimelineRow(
                    _("已送达") if moment else _("送达"),
                    detail,
                    moment,
                    None,
                    "done" if moment else "current",
                )
            )
    return rows


def seals_for_application(application: Application) -> list[Seal]:
    """Seals of the application's village (or its group) that its matter may use, active,
    electronic ones first; unscoped: callers fetched the application through a scoped
    selector."""
    matter = application.service.matter
    seals = Seal.objects.filter(village=application.village, status=SealStatus.ACTIVE).filter(
        Q(group__isnull=True) | Q(group=application.group)
    )
    usable = [
        s for s in seals if s.kind in matter.seal_kinds and s.owner_level in matter.owner_levels
    ]
    return sorted(usable, key=lambda s: (not s.is_electronic, s.group_id is not None, s.pk))


def applications_to_sync() -> list[int]:
    """Ids of applications whose seal request may still move (the sync task's work list)."""
    return list(
        Application.objects.filter(seal_request__isnull=False)
        .exclude(status__in=FINAL_STATUSES)
        .values_list("pk", flat=True)[:5000]
    )
