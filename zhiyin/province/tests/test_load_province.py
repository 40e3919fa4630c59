"""`load_province` at a small size: every kind of row, every state, valid audit logs."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import client_for
from zhiyin.approvals.models import ApprovalStep, SealRequest
from zhiyin.audit.models import AuditEvent
from zhiyin.delivery.models import Delivery, Notification
from zhiyin.lib.pades import verify_pdf
from zhiyin.orgs.models import District, Person, RoleGrant, Village
from zhiyin.province.generator import BULK
from zhiyin.sealing.models import SealedDocument

pytestmark = pytest.mark.django_db


def _load(**options: Any) -> str:
    out = StringIO()
    call_command("load_province", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def province(settings: Any, tmp_path: Any) -> str:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DELIVERY_KICK_WORKER = False
    return _load(villages=3, requests=600, villages_per_district=2, real_sealed=1)


def test_it_fills_districts_villages_people_and_requests_in_every_state(province: str) -> None:
    assert "district 2/2" in province and "province loaded in" in province
    districts = District.objects.filter(code__startswith="9")
    assert districts.count() == 2
    assert Village.objects.filter(district__in=districts).count() == 3
    assert SealRequest.objects.count() == 600 + 1  # and the one really sealed
    statuses = set(SealRequest.objects.values_list("status", flat=True))
    assert {"completed", "rejected", "withdrawn", "returned", "draft"} <= statuses
    assert statuses & {"submitted", "in_approval"}
    assert RoleGrant.objects.filter(role="secretary").count() == 3
    assert Person.objects.filter(username="v900001001-secretary").exists()


def test_its_steps_agree_with_their_requests(province: str) -> None:
    for request in SealRequest.objects.filter(status="completed")[:50]:
        steps = list(request.steps.all())
        assert steps and all(s.status == "done" and s.decision == "approve" for s in steps)
        assert all(
            s.decided_at and s.activated_at and s.decided_at >= s.activated_at for s in steps
        )
        assert request.completed_by_id not in {s.decided_by_id for s in steps}
    for request in SealRequest.objects.filter(status__in=["submitted", "in_approval"]):
        assert request.steps.filter(status="active").count() == 1
    assert not ApprovalStep.objects.filter(request__status="draft").exists()


def test_it_seals_documents_and_delivers_them(province: str) -> None:
    completed = SealRequest.objects.filter(status="completed").count()
    assert SealedDocument.objects.count() == completed
    assert Delivery.objects.filter(status="delivered").exists()
    real = SealedDocument.objects.exclude(file__startswith="province/").get()
    result = verify_pdf(real.read_bytes(), trust_roots=[], revoked_serials=set())
    assert len(result.signatures) == 1 and result.signatures[0].intact


def test_every_district_log_verifies(province: str) -> None:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    lines = out.getvalue().splitlines()
    assert sum("district/" in line and "intact" in line for line in lines) == 2
    completed = SealRequest.objects.filter(status="completed").first()
    assert completed is not None
    actions = set(
        AuditEvent.objects.filter(
            target_type="approvals.sealrequest", target_id=str(completed.pk)
        ).values_list("action", flat=True)
    )
    assert {"seal_request.create", "seal_request.submit", "seal_request.complete"} <= actions


def test_a_secretary_of_the_province_sees_their_inbox(province: str) -> None:
    # Staff of a loaded province sign in with two factors like everyone else.
    client = client_for(Person.objects.get(username="v900001001-secretary"))
    assert client.get("/requests/inbox/").status_code == 200


def test_a_second_run_adds_new_districts_beside_the_first(province: str) -> None:
    second = _load(villages=1, requests=10, villages_per_district=1, real_sealed=0)
    assert "1 districts" in second
    assert District.objects.filter(code="900003").exists()
    assert SealRequest.objects.count() == 611


def test_step_holders_and_applicants_are_notified(province: str) -> None:
    active = ApprovalStep.objects.filter(status="active").select_related("request").first()
    assert active is not None
    waiting = Notification.objects.filter(
        event="seal_request.step_activated", link=f"/requests/{active.request_id}/"
    )
    assert waiting.filter(read_at__isnull=True).exists()
    completed = SealRequest.objects.filter(status="completed").exclude(number="").first()
    assert completed is not None
    told = Notification.objects.get(
        person_id=completed.applicant_id,
        event="seal_request.complete",
        link=f"/requests/{completed.pk}/",
    )
    assert completed.number in told.text and "已用印" in told.text


def _schema() -> dict[str, dict[str, Any]]:
    with connection.cursor() as cursor:
        return {
            m._meta.db_table: connection.introspection.get_constraints(cursor, m._meta.db_table)
            for m in BULK
        }


def test_the_bulk_tables_get_back_every_foreign_key_and_index(settings: Any, tmp_path: Any) -> None:
    # On PostgreSQL the loader drops them for the load and builds them again after it.
    settings.MEDIA_ROOT = str(tmp_path)
    before = _schema()
    _load(villages=1, requests=30, villages_per_district=1, real_sealed=0)
    assert _schema() == before
    assert any(c["foreign_key"] for c in before["approvals_approvalstep"].values())
