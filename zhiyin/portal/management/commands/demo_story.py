"""`manage.py demo_story`: the seed's first paragraph, played through the services.

A resident of 水南村 applies for the winter-vegetable subsidy, the clerk turns the
application into a seal request, the group leader and the secretary approve, a custodian
applies the electronic seal, and the sealed PDF is delivered to 区农业农村局 — here a
receiver this command starts on 127.0.0.1 that checks every signature with the
`standardwebhooks` package. Each step is printed with its time; the end is the receipt.

This command is the one place in `delivery` that knows the domain apps: it is a script
that drives them from outside, as a user would. Nothing in `delivery` imports it.
"""

from __future__ import annotations

import io
import time
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhiyin.approvals.models import (
    ApprovalStep,
    RequestStatus,
    SealRequest,
    StepDecision,
    StepStatus,
)
from zhiyin.approvals.selectors import step_holders
from zhiyin.approvals.services import document_view_record, seal_request_approve
from zhiyin.catalog.demo import catalog_demo_load
from zhiyin.catalog.models import Matter
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import BureauEndpoint, Delivery
from zhiyin.delivery.outbox import outbox_run
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.selectors import delivery_status_for
from zhiyin.delivery.services import endpoint_register, endpoint_secret_generate, endpoint_update
from zhiyin.orgs.demo import DISTRICT_CODE, demo_load
from zhiyin.orgs.models import District, Person, Role, RoleGrant, Village
from zhiyin.portal.demo import VEGETABLE, portal_demo_load
from zhiyin.portal.models import Service
from zhiyin.portal.services.applications import application_submit
from zhiyin.portal.services.handling import application_accept
from zhiyin.sealing.services import document_seal
from zhiyin.seals.demo import seals_demo_load
from zhiyin.seals.selectors import electronic_seal_active
from zhiyin.seals.services import electronic_seal_issue

MATTER = "冬季瓜菜种植补贴申请"


def _photo() -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 130, 50)).save(buffer, format="JPEG", quality=90)
    return SimpleUploadedFile("瓜菜地.jpg", buffer.getvalue(), content_type="image/jpeg")


class Command(BaseCommand):
    help = "Play the seed story end to end on the demo district and print the receipt."

    def handle(self, *args: Any, **options: Any) -> None:
        self.started = time.monotonic()
        try:
            self._story()
        except RuleViolation as exc:
            raise CommandError(f"故事中断：{exc.message}") from exc

    def step(self, text: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self.started:7.2f} s] {text}")

    def _story(self) -> None:
        demo_load()
        district = District.objects.get(code=DISTRICT_CODE)
        seals_demo_load(district)
        if not Matter.objects.filter(district=district, name=MATTER).exists():
            catalog_demo_load(district)
        if not Service.objects.filter(district=district, code=VEGETABLE).exists():
            portal_demo_load()
        village = Village.objects.get(district=district, name="水南村")
        service = Service.objects.get(district=district, code=VEGETABLE)
        resident = (
            Person.objects.filter(
                home_village=village,
                home_group__isnull=False,
                grants__role=Role.RESIDENT,
                id_number__isnull=False,
            )
            .order_by("pk")
            .first()
        )
        if resident is None:
            raise CommandError("演示数据中水南村没有登记的村民。")
        self.step(f"演示区 {district.name} 已就绪；村民 {resident.real_name}（{village.name}）")

        application = application_submit(
            service=service,
            resident=resident,
            by=resident,
            answers={"crop": "豇豆", "crops": "2", "area": "3.5", "plot": "南坡"},
            files={"photo": [_photo()]},
        )
        self.step(f"村民提交“{service.name}”申请，补贴金额 {application.amount} 元")

        clerk = self._one(village, Role.CLERK)
        request = application_accept(application=application, by=clerk)
        self.step(f"经办人 {clerk.real_name} 受理并发起用印申请 {request.number}（{MATTER}）")

        request = self._approve(request)
        if request.status != RequestStatus.APPROVED:
            raise CommandError(f"审批未完成：{request.get_status_display()}")

        bureau = request.matter.target_bureau
        if bureau is None:
            raise CommandError(f"事项“{MATTER}”没有送达部门。")
        receiver = Receiver(secret=endpoint_secret_generate()).start()
        try:
            endpoint = self._endpoint(bureau, receiver)
            self.step(
                f"{bureau.name} 的接收端已在 {receiver.url} 启动（验证 Standard Webhooks 签名）"
            )
            if electronic_seal_active(seal=request.seal) is None:
                electronic_seal_issue(seal=request.seal, by=None)
            sealed = []
            for custodian in self._custodians(request):
                outcome = document_seal(request=request, seals=[request.seal], by=custodian)
                if outcome.documents:
                    sealed = outcome.documents
                    self.step(f"印章管理员 {custodian.real_name} 签订电子印章")
                    break
                self.step(
                    f"印章管理员 {custodian.real_name} 确认（{outcome.confirmations}/{outcome.needed}）"
                )
            if not sealed:
                raise CommandError("没有印章管理员能为该申请盖章。")
            for document in sealed:
                path = default_storage.path(document.file.name)
                self.step(f"已盖章文件 {document.number}：{path}（SHA-256 {document.sha256}）")
            handled = outbox_run()
            self.step(f"推送工作进程发送 {handled} 条消息")
            delivery = Delivery.objects.filter(
                source_type="approvals.sealrequest", source_id=str(request.pk)
            ).first()
            if delivery is None or delivery.webhook_id not in receiver.messages:
                raise CommandError("接收端没有收到签名有效的推送。")
            got = receiver.messages[delivery.webhook_id]
            self.step(
                f"{bureau.name} 收到 {got.body['type']}，webhook-id {delivery.webhook_id}，"
                f"签名已验证，文件 SHA-256 {got.body['data']['document']['sha256']}"
            )
            receipt = delivery.receipts.order_by("pk").first()
            status = delivery_status_for(source_type="approvals.sealrequest", source_id=request.pk)
            if receipt is None:
                raise CommandError("没有送达回执。")
            self.step(
                f"回执 #{receipt.pk}：{receipt.get_via_display()}，HTTP "
                f"{receipt.evidence.get('status_code')}，{timezone.localtime(receipt.received_at):%Y-%m-%d %H:%M:%S}，"
                f"进度页显示“{status.label}”"
            )
            endpoint_update(endpoint=endpoint, by=None, active=False)
        finally:
            receiver.stop()

    def _one(self, village: Village, role: str) -> Person:
        grant = RoleGrant.objects.active().filter(village=village, role=role, group__isnull=True)
        person = Person.objects.filter(pk__in=grant.values("person_id")).order_by("pk").first()
        if person is None:
            raise CommandError(f"{village.name} 没有 {role}。")
        return person

    def _approve(self, request: SealRequest) -> SealRequest:
        for _ in range(10):
            step = ApprovalStep.objects.filter(request=request, status=StepStatus.ACTIVE).first()
            if step is None:
                break
            decided = set(step.decisions.values_list("person_id", flat=True))
            person = (
                step_holders(step)
                .exclude(pk=request.applicant_id)
                .exclude(pk__in=decided)
                .order_by("pk")
                .first()
            )
            if person is None:
                raise CommandError(f"环节“{step.name}”没有可审批的人。")
            for document in request.documents.filter(superseded_at__isnull=True):
                document_view_record(document=document, by=person)
            request = seal_request_approve(request=request, by=person, comment="同意")
            self.step(f"{step.name}：{person.real_name} 同意")
        request.refresh_from_db()
        return request

    def _custodians(self, request: SealRequest) -> list[Person]:
        grants = RoleGrant.objects.active().filter(
            village=request.village, role=Role.CUSTODIAN, group__isnull=True
        )
        return list(
            Person.objects.filter(pk__in=grants.values("person_id"))
            .exclude(pk=request.applicant_id)
            .exclude(pk__in=StepDecision.objects.filter(step__request=request).values("person_id"))
            .order_by("pk")
        )

    def _endpoint(self, bureau: Any, receiver: Receiver) -> BureauEndpoint:
        for old in BureauEndpoint.objects.filter(bureau=bureau, active=True, allow_private=True):
            endpoint_update(endpoint=old, by=None, active=False)
        return endpoint_register(
            bureau=bureau,
            url=receiver.url,
            by=None,
            allow_private=True,
            secret=receiver.secret,
            description="demo_story 本机接收端",
        )
