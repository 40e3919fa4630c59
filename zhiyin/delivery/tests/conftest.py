"""Shared pieces for the delivery tests: a stored document, a live receiver, an endpoint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from conftest import World
from zhiyin.delivery.models import BureauEndpoint, Delivery
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.services import delivery_document_sealed, endpoint_register

PDF = b"%PDF-1.7\n% sealed test document\n%%EOF\n"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(autouse=True)
def _delivery_settings(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DELIVERY_TIMEOUT_SECONDS = 1
    settings.DELIVERY_RETRY_SCHEDULE = [0, 0, 0, 0]
    settings.DELIVERY_KICK_WORKER = False
    settings.PUBLIC_BASE_URL = "http://testserver"


@pytest.fixture
def document() -> tuple[str, str]:
    path = default_storage.save("sealed/test.pdf", ContentFile(PDF))
    return path, hashlib.sha256(PDF).hexdigest()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    live = Receiver(secret=SECRET).start()
    yield live
    live.stop()


@pytest.fixture
def endpoint(world: World, receiver: Receiver) -> BureauEndpoint:
    return endpoint_register(
        bureau=world.bureau,
        url=receiver.url,
        by=world.district_admin,
        allow_private=True,
        secret=SECRET,
    )


def seal_delivery(world: World, document: tuple[str, str], source_id: int = 1) -> Delivery:
    with transaction.atomic():
        return delivery_document_sealed(
            bureau=world.bureau,
            event_payload={"request": {"number": f"SN-2026-{source_id:06d}"}},
            document_path=document[0],
            document_sha256=document[1],
            source_type="approvals.sealrequest",
            source_id=source_id,
            title=f"SN-2026-{source_id:06d} 冬季瓜菜种植补贴申请",
            filename="sealed.pdf",
        )
