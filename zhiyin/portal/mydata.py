"""What Zhiyin holds about a resident, and who looked at it (PIPL art. 45: the right to
see one's own personal information).

`my_data(person)` gathers the resident's person record, their entries in the district's
register (the household's place: village and group), their applications with their
evidence files, the seal requests raised on their behalf with the documents, and every
recorded view by someone else (named when the district shows officials' names to
residents, "工作人员" otherwise): staff opening their evidence files or showing their full
ID number or phone (audit events), approvers opening the documents of their requests
(`DocumentView`), bureaus downloading what was sealed for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from zhiyin.approvals.models import (
    DocumentView,
    RequestAttachment,
    RequestDocument,
    SealRequest,
)
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Person
from zhiyin.portal.models import Application, ApplicationFile, RegisterEntry
from zhiyin.portal.selectors import official_names_shown

#: Audit actions that are a view of personal data by someone.
VIEW_ACTIONS = ("application_file.view", "person.personal_data_view", "request_attachment.view")


@dataclass(frozen=True)
class Viewing:
    at: datetime
    who: str
    role: str
    what: str
    why: str


@dataclass(frozen=True)
class MyData:
    person: Person
    register: list[RegisterEntry]
    applications: list[Application]
    files: list[ApplicationFile]
    requests: list[SealRequest]
    documents: list[RequestDocument]
    viewings: list[Viewing]


def my_data(*, person: Person) -> MyData:
    register = (
        list(
            RegisterEntry.objects.filter(id_number=person.id_number).select_related(
                "village", "group"
            )
        )
        if person.id_number
        else []
    )
    applications = list(
        Application.objects.filter(resident=person).select_related("service").order_by("-pk")
    )
    files = list(
        ApplicationFile.objects.filter(application__resident=person).order_by("application", "pk")
    )
    requests = list(
        SealRequest.objects.filter(on_behalf_of=person).select_related("matter").order_by("-pk")
    )
    documents = list(RequestDocument.objects.filter(request__on_behalf_of=person).order_by("pk"))
    names = {f.pk: f.label or f.original_name for f in files}
    village = person.home_village
    shown = village is not None and official_names_shown(village.district_id)

    def who(name: str) -> str:
        # The district decides whether residents see officials' names; the view itself,
        # its time and its reason are always shown.
        return name if shown else _("工作人员")

    events = AuditEvent.objects.filter(
        Q(target_type="portal.applicationfile", target_id__in=[str(pk) for pk in names])
        | Q(
            target_type="approvals.requestattachment",
            target_id__in=[
                str(pk)
                for pk in RequestAttachment.objects.filter(
                    request__on_behalf_of=person
                ).values_list("pk", flat=True)
            ],
        )
        | Q(target_type="orgs.person", target_id=str(person.pk)),
        action__in=VIEW_ACTIONS,
    ).exclude(actor_id=person.pk)
    viewings = [
        Viewing(
            at=event.created_at,
            who=who(event.actor_name),
            role=event.role,
            what=event.target_label,
            why=str(json.loads(event.after or "{}").get("reason", "")),
        )
        for event in events.order_by("-created_at")[:500]
    ]
    document_names = {d.pk: d.original_name for d in documents}
    for view in (
        DocumentView.objects.filter(document_id__in=list(document_names))
        .exclude(person=person)
        .select_related("person")
        .order_by("-viewed_at")[:500]
    ):
        viewings.append(
            Viewing(
                at=view.viewed_at,
                who=who(view.person.real_name),
                role="",
                what=document_names[view.document_id],
                why="",
            )
        )
    viewings.sort(key=lambda v: v.at, reverse=True)
    return MyData(
        person=person,
        register=register,
        applications=applications,
        files=files,
        requests=requests,
        documents=documents,
        viewings=viewings,
    )
