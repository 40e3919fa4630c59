"""The trace page, its export and the proof API: the netbox matrix, and refusals on record."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from conftest import World, client_for
from tools.zhiyin_verify import verify_bundle
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import checkpoint_create, checkpoints_create, district_log
from zhiyin.audit.signing import signing_key
from zhiyin.seals.services import seal_suspend

pytestmark = pytest.mark.django_db


def _seal_trace(world: World) -> str:
    return reverse("audit_trace", args=["seals.seal", world.sn_committee_seal.pk])


def test_it_sends_anonymous_visitors_to_login(world: World) -> None:
    response = client_for(None).get(_seal_trace(world))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("sn_clerk", 404),  # wrong role
        ("sn_resident", 404),  # not theirs
        ("bl_admin", 404),  # right role, other village
        ("bl_secretary", 404),
        ("officer", 404),
        ("sn_admin", 200),  # right role in scope
        ("inspector", 200),
        ("district_admin", 200),
    ],
)
def test_the_trace_of_a_seal_follows_the_matrix(world: World, persona: str, status: int) -> None:
    response = client_for(getattr(world, persona)).get(_seal_trace(world))
    assert response.status_code == status


def test_it_shows_the_story_in_order_with_durations_and_verified_marks(world: World) -> None:
    seal_suspend(seal=world.sn_committee_seal, by=world.sn_admin, reason="遗失待查")
    checkpoints_create()
    body = client_for(world.inspector).get(_seal_trace(world)).content.decode()
    assert body.index("seal.register") < body.index("seal.suspend")
    assert "水南管理员" in body
    assert body.count('badge-active">已核验') == 2
    assert "秒" in body  # time since the previous event


def test_events_after_the_latest_checkpoint_wait_for_the_next_one(world: World) -> None:
    checkpoints_create()
    seal_suspend(seal=world.sn_committee_seal, by=world.sn_admin, reason="遗失待查")
    body = client_for(world.inspector).get(_seal_trace(world)).content.decode()
    assert body.count('badge-active">已核验') == 1 and "待下一检查点" in body


def test_a_resident_sees_their_own_story_only(world: World) -> None:
    own = reverse("audit_trace", args=["orgs.person", world.sn_resident.pk])
    other = reverse("audit_trace", args=["orgs.person", world.bl_resident.pk])
    assert client_for(world.sn_resident).get(own).status_code == 200
    assert client_for(world.sn_resident).get(other).status_code == 404
    assert client_for(world.inspector).get(other).status_code == 200
    assert client_for(world.sn_admin).get(other).status_code == 404


def test_unknown_targets_are_not_found(world: World) -> None:
    for args in (["nope.model", "1"], ["seals.seal", "999999"], ["seals.seal", "abc"]):
        response = client_for(world.inspector).get(reverse("audit_trace", args=args))
        assert response.status_code == 404


def test_a_refused_trace_is_recorded_with_its_path(world: World) -> None:
    url = _seal_trace(world)
    client_for(world.bl_admin).get(url)
    event = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert event.actor_id == world.bl_admin.pk
    assert event.target_label == url
    assert json.loads(event.after)["reason"] == "not_found"


def test_the_trace_export_verifies_offline_and_is_recorded(world: World) -> None:
    response = client_for(world.inspector).get(
        reverse("audit_trace_export", args=["seals.seal", world.sn_committee_seal.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    bundle = json.loads(response.content)
    assert [e["action"] for e in bundle["events"]] == ["seal.register"]
    verify_bundle(bundle, signing_key().vkey)
    assert AuditEvent.objects.filter(
        action="audit.trace_export", actor_id=world.inspector.pk
    ).exists()
    refused = client_for(world.bl_admin).get(
        reverse("audit_trace_export", args=["seals.seal", world.sn_committee_seal.pk])
    )
    assert refused.status_code == 404


def test_the_trace_prints_as_pdf_for_those_in_scope(world: World) -> None:
    checkpoints_create()
    url = reverse("audit_trace_pdf", args=["seals.seal", world.sn_committee_seal.pk])
    response = client_for(world.inspector).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client_for(world.bl_admin).get(url).status_code == 404


# --- API -------------------------------------------------------------------------------


def _seal_event(world: World) -> AuditEvent:
    return AuditEvent.objects.get(
        target_type="seals.seal", target_id=str(world.sn_committee_seal.pk)
    )


def test_the_api_wants_a_session(world: World) -> None:
    checkpoints_create()
    assert client_for(None).get("/api/audit/checkpoints/latest").status_code == 401


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("sn_clerk", 404),
        ("sn_resident", 404),
        ("officer", 404),
        ("bl_admin", 200),
        ("inspector", 200),
    ],
)
def test_checkpoints_are_for_inspectors_and_admins(world: World, persona: str, status: int) -> None:
    checkpoints_create()
    response = client_for(getattr(world, persona)).get("/api/audit/checkpoints/latest")
    assert response.status_code == status
    if status == 200:
        assert response.json()["note"].startswith("zhiyin.test/audit\n")
        key = client_for(getattr(world, persona)).get("/api/audit/key").json()
        assert key["vkey"] == signing_key().vkey


@pytest.mark.parametrize(
    ("persona", "status"),
    [("sn_clerk", 404), ("bl_admin", 404), ("sn_admin", 200), ("inspector", 200)],
)
def test_inclusion_proofs_follow_the_matrix(world: World, persona: str, status: int) -> None:
    checkpoints_create()
    event = _seal_event(world)
    assert event.log  # the seal's story is in its district's own log
    response = client_for(getattr(world, persona)).get(
        f"/api/audit/events/{event.seq}/inclusion?log={event.log}"
    )
    assert response.status_code == status
    if status == 200:
        data = response.json()
        assert data["event"]["hash"] == event.hash and data["tree_size"] >= event.seq
        assert data["checkpoint"]["note"].startswith(f"zhiyin.test/audit/district/{event.log}\n")
        bundle = {
            "format": "zhiyin-audit-bundle/1",
            "log": event.log,
            "complete": False,
            "events": [data["event"]],
            "checkpoints": [data["checkpoint"]],
            "inclusion_proofs": [
                {"seq": event.seq, "tree_size": data["tree_size"], "path": data["path"]}
            ],
            "consistency_proofs": [],
        }
        verify_bundle(bundle, signing_key().vkey)


def test_an_event_newer_than_every_checkpoint_has_no_proof_yet(world: World) -> None:
    checkpoints_create()
    seal_suspend(seal=world.sn_committee_seal, by=world.sn_admin, reason="遗失待查")
    newest = AuditEvent.objects.get(action="seal.suspend")
    response = client_for(world.inspector).get(
        f"/api/audit/events/{newest.seq}/inclusion?log={newest.log}"
    )
    assert response.status_code == 409


def test_consistency_proofs_connect_two_checkpoints(world: World) -> None:
    log = district_log(world.district.pk)
    first = checkpoint_create(log=log)
    seal_suspend(seal=world.sn_committee_seal, by=world.sn_admin, reason="遗失待查")
    second = checkpoint_create(log=log)
    assert first is not None and second is not None
    url = f"/api/audit/consistency?first={first.tree_size}&second={second.tree_size}&log={log}"
    data = client_for(world.inspector).get(url).json()
    bundle = {
        "format": "zhiyin-audit-bundle/1",
        "log": log,
        "complete": False,
        "events": [],
        "checkpoints": [data["first"], data["second"]],
        "inclusion_proofs": [],
        "consistency_proofs": [
            {"first": first.tree_size, "second": second.tree_size, "path": data["path"]}
        ],
    }
    verify_bundle(bundle, signing_key().vkey)
    assert client_for(world.sn_clerk).get(url).status_code == 404
    bad = f"/api/audit/consistency?first={second.tree_size}&second={first.tree_size}&log={log}"
    assert client_for(world.inspector).get(bad).status_code == 400


def test_refused_api_calls_are_recorded(world: World) -> None:
    client_for(world.sn_clerk).get("/api/audit/checkpoints")
    event = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert event.actor_id == world.sn_clerk.pk and event.target_label == "/api/audit/checkpoints"
