"""Staff opening a request's evidence file (佐证附件) is on record — who, whose request,
which file, why — in the district's log; the applicant opening their own is not."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import World, client_for
from zhiyin.approvals.services import seal_request_create
from zhiyin.approvals.tests.conftest import Catalog, pdf_upload, png_bytes
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import district_log

pytestmark = pytest.mark.django_db


def test_each_staff_download_of_an_attachment_is_audited(world: World, catalog: Catalog) -> None:
    request = seal_request_create(
        by=world.sn_clerk,
        village=world.shuinan,
        matter=catalog.matter,
        seal=world.sn_committee_seal,
        stamp_count=1,
        place_of_use="村委会",
        purpose="签订合同",
        group=world.sn_group1,
        documents=[pdf_upload()],
        attachments=[SimpleUploadedFile("会议决议.png", png_bytes())],
    )
    attachment = request.attachments.get()
    url = reverse("seal_request_attachment", args=[request.pk, attachment.pk])

    assert client_for(world.sn_clerk).get(url).status_code == 200  # the applicant's own
    assert not AuditEvent.objects.filter(action="request_attachment.view").exists()

    secretary = client_for(world.sn_secretary)
    for _ in range(2):
        response = secretary.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == png_bytes()  # type: ignore[attr-defined]
    events = AuditEvent.objects.filter(action="request_attachment.view").order_by("seq")
    assert events.count() == 2  # every download, not only the first
    event = events.last()
    assert event is not None
    assert event.actor_id == world.sn_secretary.pk
    assert event.target_type == "approvals.requestattachment"
    assert event.target_id == str(attachment.pk)
    assert event.log == district_log(world.shuinan.district_id)
    assert "会议决议.png" in event.target_label and request.number in event.target_label
    after = json.loads(event.after)
    assert after["applicant"] == world.sn_clerk.pk and after["file"] == "会议决议.png"
    assert request.number in after["reason"]

    # Someone outside the village gets nothing, and nothing is recorded for them.
    assert client_for(world.bl_secretary).get(url).status_code == 404
    assert events.count() == 2
