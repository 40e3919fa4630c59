"""What waits for a person (待办), by role: counts and the first items, each with a link.

Every list comes from the owning app's scoped selector; this module only arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiyin.approvals.models import RequestStatus
from zhiyin.approvals.selectors import (
    custodian_requests_for,
    inbox_for,
    person_approved_request,
    seal_requests_for,
)
from zhiyin.delivery.selectors import deliveries_for, notifications_for
from zhiyin.orgs.models import Person, Role
from zhiyin.orgs.selectors import Access
from zhiyin.portal import selectors as portal

FIRST = 5


@dataclass
class WorkItem:
    title: str
    url: str
    detail: str = ""
    deadline: datetime | None = None
    late: bool = False
    reason: str = ""  # why the person may not act on it themselves


@dataclass
class WorkSection:
    key: str
    title: str | Promise
    count: int
    items: list[WorkItem] = field(default_factory=list)
    more_url: str = ""
    empty: str | Promise = ""
    urgent: int = 0  # e.g. overdue


def _to_decide(access: Access) -> WorkSection:
    waiting = inbox_for(access=access)
    now = timezone.now()
    steps = list(waiting[:FIRST])
    return WorkSection(
        key="to_decide",
        title=gettext_lazy("等我审批"),
        count=waiting.count(),
        urgent=waiting.filter(deadline__lt=now).count(),
        items=[
            WorkItem(
                title=f"{s.request.number} {s.request.matter.name}",
                url=reverse("seal_request_detail", args=[s.request_id]),
                detail=f"{s.request.village.name} · {s.name}",
                deadline=s.deadline,
                late=s.is_overdue(now),
            )
            for s in steps
        ],
        more_url=reverse("inbox"),
        empty=gettext_lazy("没有等您审批的申请。"),
    )


def _to_seal(access: Access, person: Person) -> WorkSection:
    requests = custodian_requests_for(access=access)
    items = []
    for r in requests[:FIRST]:
        reason = ""
        if r.applicant_id == person.pk:
            reason = _("这是您提出的申请，须由另一位印章管理员盖章（审用分离）。")
        elif person_approved_request(request=r, person=person):
            reason = _("您审批过这件申请，须由另一位印章管理员盖章（审用分离）。")
        items.append(
            WorkItem(
                title=f"{r.number} {r.matter.name}",
                url=reverse("seal_request_detail", args=[r.pk]),
                detail=r.village.name,
                reason=reason,
            )
        )
    return WorkSection(
        key="to_seal",
        title=gettext_lazy("等我盖章"),
        count=requests.count(),
        items=items,
        more_url=reverse("sealing_index"),
        empty=gettext_lazy("没有等待盖章的申请。"),
    )


def _to_accept(access: Access) -> WorkSection:
    waiting = portal.applications_to_handle(access=access)
    return WorkSection(
        key="to_accept",
        title=gettext_lazy("村民申请待受理"),
        count=waiting.count(),
        items=[
            WorkItem(
                title=f"{a.number} {a.service.name}",
                url=reverse("portal_clerk_application", args=[a.pk]),
                detail=f"{a.resident.real_name} · {a.village.name}",
            )
            for a in waiting[:FIRST]
        ],
        more_url=reverse("portal_clerk"),
        empty=gettext_lazy("没有待受理的村民申请。"),
    )


def _returned(access: Access, person: Person) -> WorkSection:
    returned = seal_requests_for(access=access).filter(
        applicant=person, status=RequestStatus.RETURNED
    )
    return WorkSection(
        key="returned",
        title=gettext_lazy("被退回要修改"),
        count=returned.count(),
        items=[
            WorkItem(
                title=f"{r.number} {r.matter.name}",
                url=reverse("seal_request_detail", args=[r.pk]),
                detail=r.village.name,
            )
            for r in returned.select_related("matter", "village").order_by("-pk")[:FIRST]
        ],
        more_url=reverse("seal_request_list"),
        empty=gettext_lazy("没有被退回的申请。"),
    )


def _to_sign(access: Access) -> WorkSection:
    waiting = (
        deliveries_for(bureau_ids=access.bureau_ids)
        .filter(receipts__isnull=True)
        .order_by("created_at")
    )
    return WorkSection(
        key="to_sign",
        title=gettext_lazy("等我签收"),
        count=waiting.count(),
        items=[
            WorkItem(
                title=d.title or d.webhook_id,
                url=reverse("bureau_delivery_detail", args=[d.pk]),
                detail=d.bureau.name,
            )
            for d in waiting[:FIRST]
        ],
        more_url=reverse("bureau_inbox"),
        empty=gettext_lazy("没有等待签收的文件。"),
    )


def _mine(person: Person) -> WorkSection:
    applications = portal.applications_of(person=person)
    return WorkSection(
        key="mine",
        title=gettext_lazy("我的申请"),
        count=applications.count(),
        items=[
            WorkItem(
                title=f"{a.service.name}",
                url=reverse("portal_application", args=[a.pk]),
                detail=f"{a.number} · {a.get_status_display()}",
            )
            for a in applications[:FIRST]
        ],
        more_url=reverse("portal_home"),
        empty=gettext_lazy("您还没有申请。"),
    )


def worklist_for(*, access: Access, person: Person) -> list[WorkSection]:
    """The sections of `person`'s home page, most pressing first."""
    roles = access.roles
    sections: list[WorkSection] = []
    if roles & {Role.GROUP_LEADER, Role.SECRETARY, Role.CUSTODIAN}:
        sections.append(_to_decide(access))
    if Role.CUSTODIAN in roles:
        sections.append(_to_seal(access, person))
    if portal.clerk_village_ids(access):
        sections.append(_to_accept(access))
    if roles & {Role.CLERK, Role.CUSTODIAN}:
        sections.append(_returned(access, person))
    if Role.BUREAU_OFFICER in roles:
        sections.append(_to_sign(access))
    if Role.RESIDENT in roles:
        sections.append(_mine(person))
    return sections


#: A badge counts at most this many (shown as "999+"): a district-wide role's list may be
#: long, and the page frame must not count a long list on every page.
COUNT_CAP = 1000


def counts_at_most(querysets: dict[str, QuerySet[Any]], cap: int) -> dict[str, int]:
    """The number of rows of each queryset, counting no further than `cap`, all in one query."""
    counts = dict.fromkeys(querysets, 0)
    parts: list[str] = []
    params: list[Any] = []
    names: list[str] = []
    alias = next(iter(querysets.values())).db if querysets else "default"
    for name, queryset in querysets.items():
        limited = queryset.order_by().values("pk")[:cap]
        try:
            sql, sql_params = limited.query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:  # e.g. `.none()` or `pk__in=[]`: nothing to count
            continue
        # The compiler's own SQL, values as parameters: nothing from the request is pasted in.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")  # noqa: S608
        params.extend(sql_params)
        names.append(name)
    if parts:
        with connections[alias].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            row = cursor.fetchone()
        counts.update(zip(names, (int(v) for v in row), strict=True))
    return counts


def counts_for(*, access: Access, person: Person) -> dict[str, int]:
    """The badges of the menu, only for the roles that have them: one query for all, each
    count stopping at `COUNT_CAP`."""
    roles = access.roles
    lists: dict[str, QuerySet[Any]] = {"unread": notifications_for(person=person, unread_only=True)}
    if roles & {Role.GROUP_LEADER, Role.SECRETARY, Role.CUSTODIAN}:
        lists["to_decide"] = inbox_for(access=access)
    if Role.CUSTODIAN in roles:
        lists["to_seal"] = custodian_requests_for(access=access)
    if portal.clerk_village_ids(access):
        lists["to_accept"] = portal.applications_to_handle(access=access)
    if Role.BUREAU_OFFICER in roles:
        lists["to_sign"] = deliveries_for(bureau_ids=access.bureau_ids).filter(
            receipts__isnull=True
        )
    return counts_at_most(lists, COUNT_CAP)
