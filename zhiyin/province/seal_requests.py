"""The province loader's seal requests: a state drawn by age, approval steps with skewed
durations and deadlines, decisions, documents, sealed documents and deliveries."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from uuid import uuid4

from django.urls import reverse
from django.utils.translation import gettext as _

from zhiyin.approvals.models import (
    ApprovalStep,
    RequestDocument,
    RequestStatus,
    SealRequest,
    StepDecision,
)
from zhiyin.catalog.models import ChainStep, TimeUnit
from zhiyin.delivery.models import Delivery, DeliveryStatus, Notification
from zhiyin.delivery.services import EVENT_DOCUMENT_SEALED
from zhiyin.orgs.models import District, Role
from zhiyin.province.loader import (
    PENDING_DAYS,
    RECENT,
    SETTLED,
    Loader,
    MatterRow,
    VillageRow,
)
from zhiyin.sealing.models import SealedDocument


class RequestsLoader(Loader):
    """Writes seal requests and everything that follows from their state, in bulk."""

    _link: str | None = None

    def status_at(self, created: dt.datetime) -> str:
        recent = (self.plan.now - created).days < PENDING_DAYS
        table = RECENT if recent else SETTLED
        pick = self.rng.random()
        for status, share in table:
            pick -= share
            if pick <= 0:
                return status
        return table[0][0]

    def duration(self) -> dt.timedelta:
        """How long a step waits for its decision: most within hours, a long tail."""
        hours = min(120.0, self.rng.lognormvariate(math.log(2.5), 1.1))
        return dt.timedelta(hours=hours)

    @staticmethod
    def deadline(activated: dt.datetime, step: ChainStep) -> dt.datetime:
        if step.time_unit == TimeUnit.WORKING_HOURS:
            return activated + dt.timedelta(hours=step.time_limit * 3)
        return activated + dt.timedelta(days=step.time_limit * 1.4)

    def request(self, district: District, village: VillageRow, matters: list[MatterRow]) -> None:
        matter = self.rng.choice(matters)
        created = self.when(self.start, self.plan.now - dt.timedelta(minutes=30))
        status = self.status_at(created)
        group_index = self.rng.randrange(len(village.groups))
        pk = self.ids.take(SealRequest)
        number = f"P{district.code}-{pk:08d}"
        label = f"{number} {matter.name}"
        clerk = (village.staff.clerk, "经办人")
        target = ("approvals.sealrequest", pk, label)
        self.event(created, "seal_request.create", target, actor=clerk)
        submitted = None if status == RequestStatus.DRAFT else created + self.duration() / 4
        values: dict[str, Any] = {
            "id": pk,
            "number": number,
            "village_id": village.pk,
            "group_id": village.groups[group_index],
            "matter_id": matter.pk,
            "chain_id": matter.chain,
            "seal_id": village.seal,
            "stamp_count": 1,
            "place_of_use": "村委会",
            "purpose": f"{matter.name}（容量测试）",
            "applicant_id": clerk[0],
            "status": status,
            "round": 0 if submitted is None else 1,
            "created_at": created,
            "updated_at": created,
            "submitted_at": submitted,
            "_matter": matter.name,
        }
        values["_document"] = self.row(
            RequestDocument,
            request_id=pk,
            file=self.document[0],
            sha256=self.document[1],
            size=self.document[2],
            content_type="application/pdf",
            original_name="用印材料.pdf",
            uploaded_at=created,
            uploaded_by_id=clerk[0],
        )
        self.report.requests += 1
        if submitted is not None:
            self.event(submitted, "seal_request.submit", target, actor=clerk)
            last = self.steps(district, village, matter, values, submitted, group_index, target)
            values["updated_at"] = last
        del values["_document"], values["_matter"]
        self.sink(SealRequest).add(**values)

    def steps(
        self,
        district: District,
        village: VillageRow,
        matter: MatterRow,
        request: dict[str, Any],
        submitted: dt.datetime,
        group_index: int,
        target: tuple[str, int, str],
    ) -> dt.datetime:
        status = request["status"]
        chain = matter.steps
        # Where the request stopped: index of the step deciding its fate, or len(chain).
        if status in (RequestStatus.SUBMITTED, RequestStatus.IN_APPROVAL):
            stop = (
                0
                if status == RequestStatus.SUBMITTED or len(chain) < 2
                else self.rng.randrange(1, len(chain))
            )
            request["status"] = RequestStatus.SUBMITTED if stop == 0 else RequestStatus.IN_APPROVAL
        elif status in (RequestStatus.RETURNED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
            stop = self.rng.randrange(len(chain)) if chain else 0
        else:
            stop = len(chain)
        at = submitted
        for position, step in enumerate(chain):
            by = self.decider(village, step, group_index)
            values: dict[str, Any] = {
                "request_id": request["id"],
                "chain_step_id": step.pk,
                "round": 1,
                "position": step.position,
                "name": step.name,
                "role": step.role,
                "scope_level": step.scope_level,
                "district_id": district.pk,
                "village_id": village.pk,
                "group_id": village.groups[group_index] if step.scope_level == "group" else None,
                "approvers_needed": step.approvers_needed,
                "status": "waiting",
            }
            if position < stop or (
                position == stop and status in (RequestStatus.RETURNED, RequestStatus.REJECTED)
            ):
                decided = at + self.duration()
                decision = "approve"
                if position == stop:
                    decision = "return" if status == RequestStatus.RETURNED else "reject"
                values.update(
                    status="done",
                    activated_at=at,
                    deadline=self.deadline(at, step),
                    decided_at=decided,
                    decision=decision,
                    decided_by_id=by,
                    duration=decided - at,
                )
                step_pk = self.row(ApprovalStep, **values)
                self.step_notices(village, step, group_index, request, at, decided)
                self.row(
                    StepDecision,
                    step_id=step_pk,
                    person_id=by,
                    decision=decision,
                    decided_at=decided,
                )
                self.event(
                    decided,
                    f"seal_request.{decision}",
                    target,
                    actor=(by, step.name),
                    role=step.role,
                )
                at = decided
                if decision != "approve":
                    comment = "材料不全，请补充后再提交。"
                    request["outcome_comment"] = comment
                    message = (
                        _("%(number)s 被退回，请修改后重新提交：%(comment)s")
                        if decision == "return"
                        else _("%(number)s 被驳回：%(comment)s")
                    )
                    self.notice(
                        request["applicant_id"],
                        message % {"number": request["number"], "comment": comment},
                        request["id"],
                        f"seal_request.{decision}",
                        decided,
                        None,
                    )
                    break
            elif position == stop and status in (
                RequestStatus.SUBMITTED,
                RequestStatus.IN_APPROVAL,
            ):
                values.update(status="active", activated_at=at, deadline=self.deadline(at, step))
                self.row(ApprovalStep, **values)
                self.step_notices(village, step, group_index, request, at, None)
            elif status == RequestStatus.WITHDRAWN:
                values.update(status="cancelled")
                self.row(ApprovalStep, **values)
            else:
                self.row(ApprovalStep, **values)
            self.report.steps += 1
        if status == RequestStatus.WITHDRAWN:
            at = at + self.duration()
            request["outcome_comment"] = "申请人撤回。"
            self.event(
                at, "seal_request.withdraw", target, actor=(request["applicant_id"], "经办人")
            )
        if status in (RequestStatus.APPROVED, RequestStatus.COMPLETED):
            request["decided_at"] = at
            number = {"number": request["number"]}
            for custodian in village.staff.custodians:
                self.notice(
                    custodian,
                    _("%(number)s 已批准，请核对文件后用印。") % number,
                    request["id"],
                    "seal_request.approved",
                    at,
                    None,
                )
            self.notice(
                request["applicant_id"],
                _("%(number)s 已审批通过。") % number,
                request["id"],
                "seal_request.approved",
                at,
                None,
            )
        if status == RequestStatus.COMPLETED:
            at = at + self.duration() / 3
            custodian = village.staff.custodians[1]  # the one who confirmed never stamps
            request.update(completed_at=at, completed_by_id=custodian)
            self.notice(
                request["applicant_id"],
                _("%(number)s 已用印。") % {"number": request["number"]},
                request["id"],
                "seal_request.complete",
                at,
                None,
            )
            self.sealed(request, matter, at, custodian, target)
        elif status in (RequestStatus.REJECTED, RequestStatus.RETURNED):
            request["decided_at"] = at
        return at

    def holders(self, village: VillageRow, step: ChainStep, group_index: int) -> list[int]:
        """Who is told a step waits for them (as `step_activate` tells the step's holders)."""
        if step.role in (Role.GROUP_LEADER, Role.SECRETARY):
            return [self.decider(village, step, group_index)]
        return list(village.staff.custodians)

    def notice(
        self,
        person: int,
        text: str,
        request: int,
        event: str,
        at: dt.datetime,
        read: dt.datetime | None,
    ) -> None:
        """An in-app notification as the services leave it (read once acted on, or a while
        after it came; the last week's news unread)."""
        if self._link is None:
            self._link = reverse("seal_request_detail", args=[999999999]).replace("999999999", "{}")
        if read is None and (self.plan.now - at).days >= PENDING_DAYS:
            read = at + self.duration()
        self.row(
            Notification,
            person_id=person,
            text=text[:300],
            link=self._link.format(request),
            event=event,
            created_at=at,
            read_at=read,
        )
        self.report.notifications += 1

    def step_notices(
        self,
        village: VillageRow,
        step: ChainStep,
        group_index: int,
        request: dict[str, Any],
        at: dt.datetime,
        decided: dt.datetime | None,
    ) -> None:
        """The step's holders told it waits for them when it opened (`step_activate`)."""
        text = _("待办：%(number)s %(matter)s 等待您审批（%(step)s）。") % {
            "number": request["number"],
            "matter": request["_matter"],
            "step": step.name,
        }
        for person in self.holders(village, step, group_index):
            self.notice(person, text, request["id"], "seal_request.step_activated", at, decided)

    def decider(self, village: VillageRow, step: ChainStep, group_index: int) -> int:
        if step.role == Role.GROUP_LEADER:
            return village.staff.leaders[group_index]
        if step.role == Role.SECRETARY:
            return village.staff.secretary
        return village.staff.custodians[0]

    def sealed(
        self,
        request: dict[str, Any],
        matter: MatterRow,
        at: dt.datetime,
        custodian: int,
        target: tuple[str, int, str],
    ) -> None:
        number = f"{request['number']}-1"
        sealed = self.row(
            SealedDocument,
            number=number,
            sha256=self.document[1],
            file=self.document[0],
            size=self.document[2],
            request_id=request["id"],
            source_document_id=request["_document"],
            matter_name=matter.name,
            organization_name="村民委员会",
            sealed_at=at,
            sealed_by_id=custodian,
            signatures=1,
        )
        self.report.sealed += 1
        self.event(
            at,
            "sealed_document.create",
            ("sealing.sealeddocument", sealed, number),
            actor=(custodian, "印章管理员"),
        )
        self.event(at, "seal_request.complete", target, actor=(custodian, "印章管理员"))
        if matter.bureau is not None:
            webhook = uuid4().hex  # unique across runs of the same seed
            delivered = at + dt.timedelta(seconds=self.rng.uniform(1, 90))
            pk = self.row(
                Delivery,
                webhook_id=f"msg_{webhook}",
                bureau_id=matter.bureau,
                event_type=EVENT_DOCUMENT_SEALED,
                payload={"request": {"number": request["number"]}, "document": {"number": number}},
                title=f"{matter.name} {number}",
                document_path=self.document[0],
                document_sha256=self.document[1],
                document_size=self.document[2],
                source_type="sealing.sealeddocument",
                source_id=str(sealed),
                status=DeliveryStatus.DELIVERED,
                created_at=at,
                delivered_at=delivered,
            )
            self.report.deliveries += 1
            self.event(at, "delivery.create", ("delivery.delivery", pk, number))
