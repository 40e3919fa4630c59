"""Demo terminals: one per pilot village (水南村, 北岭村) holding its 党组织, 村委会 and
经联社 seals, enrolled by the simulator, with a few physical stampings done through it
(photos included), so the request, device and trace pages have something to show.

The simulators' state files are kept under ``var/demo-devices/<serial>.json``, so
``make run`` can tell you how to start the same terminals against the running server.
Does nothing if the terminals exist already.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.selectors import step_holders
from zhiyin.approvals.services import (
    document_view_record,
    seal_request_approve,
    seal_request_create,
    seal_request_submit,
)
from zhiyin.catalog.models import Matter
from zhiyin.devices.authorizations import stamp_authorization_create
from zhiyin.devices.local import LocalTransport
from zhiyin.devices.models import SealDevice
from zhiyin.devices.services import device_register
from zhiyin.orgs.models import Role, RoleGrant, Village
from zhiyin.seals.models import Seal, SealKind, SealStatus

PILOT_VILLAGES = ("水南村", "北岭村")
SLOTS = (
    ("party", SealKind.PARTY),
    ("committee", SealKind.COMMITTEE),
    ("collective", SealKind.COLLECTIVE),
)
STAMPINGS_PER_VILLAGE = 2


def demo_state_dir() -> Path:
    return Path(settings.BASE_DIR) / "var" / "demo-devices"


def demo_serial(village: Village) -> str:
    return f"ZY-{village.code}-01"


def _page_png(text: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (420, 594), (252, 252, 248))
    ImageDraw.Draw(image).text((40, 40), text, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _approve_all(request: SealRequest) -> SealRequest:
    for _round in range(10):
        step = request.steps.filter(status="active").first()
        if request.status not in ("submitted", "in_approval") or step is None:
            break
        decided = step.decisions.values_list("person_id", flat=True)
        person = step_holders(step).exclude(pk=request.applicant_id).exclude(pk__in=decided).first()
        if person is None:
            break
        for document in request.documents.filter(superseded_at__isnull=True):
            document_view_record(document=document, by=person)
        request = seal_request_approve(request=request, by=person)
    return request


def _stampings(
    village: Village, device: SealDevice, simulated: object, transport: LocalTransport
) -> int:
    from tools import zhiyin_device as sim

    assert isinstance(simulated, sim.Device)
    clerk = RoleGrant.objects.active().filter(role=Role.CLERK, village=village).first()
    if clerk is None:
        return 0
    party = Seal.objects.filter(device_slot__device=device, kind=SealKind.PARTY).first()
    matters = [
        m
        for m in Matter.objects.filter(district=village.district, is_active=True).order_by("code")
        if "party" in m.seal_kinds
        and "village" in m.owner_levels
        and not m.chain.steps.filter(scope_level="district").exists()
    ]
    if party is None or not matters:
        return 0
    done = 0
    for index in range(STAMPINGS_PER_VILLAGE):
        matter = matters[index % len(matters)]
        request = seal_request_create(
            by=clerk.person,
            village=village,
            matter=matter,
            seal=party,
            stamp_count=index + 1,
            place_of_use="村委会办公室",
            purpose=f"{matter.name}（纸质材料，终端盖章）",
            group=village.groups.order_by("number").first(),
            documents=[SimpleUploadedFile("材料.png", _page_png(f"{village.name} {matter.name}"))],
            attachments=[
                SimpleUploadedFile(f"{name}.png", _page_png(str(name)))
                for name in matter.required_attachments or ["佐证材料"]
            ],
        )
        request = _approve_all(seal_request_submit(request=request, by=clerk.person))
        if request.status != "approved":
            continue
        deciders = request.steps.values("decisions__person")
        custodian = (
            RoleGrant.objects.active()
            .filter(role=Role.CUSTODIAN, village=village, group__isnull=True)
            .exclude(Q(person=clerk.person) | Q(person__in=deciders))
            .first()
        )
        if custodian is None:
            continue
        authorization = stamp_authorization_create(
            request=request, by=custodian.person, not_after=timezone.now() + dt.timedelta(hours=2)
        )
        transport.sync(simulated)
        for _stamp in range(request.stamp_count):
            simulated.stamp(
                authorization.code, operator=custodian.person.real_name, transport=transport
            )
        done += 1
    return done


def devices_demo_load() -> int:
    """Register, enrol and use one terminal per pilot village; returns stampings made."""
    from tools import zhiyin_device as sim

    stamped = 0
    folder = demo_state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name in PILOT_VILLAGES:
        village = Village.objects.filter(name=name).first()
        if village is None or SealDevice.objects.filter(village=village).exists():
            continue
        slots = {}
        for code, kind in SLOTS:
            seal = Seal.objects.filter(
                village=village,
                kind=kind,
                status=SealStatus.ACTIVE,
                group__isnull=True,
                is_physical=True,
            ).first()
            if seal is not None:
                slots[code] = seal
        if not slots:
            continue
        device, code = device_register(
            village=village,
            serial=demo_serial(village),
            name=f"{name}智能印章终端",
            slots=slots,
            by=None,
        )
        simulated = sim.Device.create(str(folder / f"{device.serial}.json"), device.serial)
        transport = LocalTransport()
        transport.enrol(simulated, code)
        transport.hello(simulated)
        stamped += _stampings(village, device, simulated, transport)
    return stamped
