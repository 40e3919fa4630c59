"""Concurrent decisions on the same step produce exactly one outcome (real threads, real
connections; run on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from conftest import World
from zhiyin.approvals.models import RequestStatus, SealRequest, StepDecision, StepStatus
from zhiyin.approvals.services import (
    seal_request_approve,
    seal_request_reject,
    seal_request_remind,
    seal_request_submit,
    seal_request_withdraw,
)
from zhiyin.approvals.tests.conftest import Catalog, request_make, run_concurrently, view_documents
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def _outcomes(results: list[object]) -> tuple[int, int]:
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, RuleViolation)
    ]
    assert not unexpected, unexpected
    ok = sum(1 for r in results if isinstance(r, SealRequest) or not isinstance(r, Exception))
    return ok, sum(1 for r in results if isinstance(r, RuleViolation))


def test_approve_and_reject_of_the_same_step_at_once_give_one_outcome(
    world: World, catalog: Catalog
) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    view_documents(request, world.sn_leader1)
    results = run_concurrently(
        [
            lambda: seal_request_approve(request=request, by=world.sn_leader1),
            lambda: seal_request_reject(request=request, by=world.sn_leader1, comment="不同意"),
            lambda: seal_request_approve(request=request, by=world.sn_leader1),
        ]
    )
    assert _outcomes(results) == (1, 2)
    step = request.steps.get(position=1)
    assert StepDecision.objects.filter(step=step).count() == 1
    assert step.status == StepStatus.DONE
    final = SealRequest.objects.get(pk=request.pk)
    assert final.status in (RequestStatus.IN_APPROVAL, RequestStatus.REJECTED)


def test_withdraw_racing_the_first_signature_of_a_step_gives_one_outcome(
    world: World, catalog: Catalog
) -> None:
    request = seal_request_submit(
        request=request_make(world, catalog.joint_matter), by=world.sn_clerk
    )
    view_documents(request, world.sn_secretary)
    request = seal_request_approve(request=request, by=world.sn_secretary)
    view_documents(request, world.sn_custodian1)
    results = run_concurrently(
        [
            lambda: seal_request_approve(request=request, by=world.sn_custodian1),
            lambda: seal_request_withdraw(request=request, by=world.sn_clerk),
        ]
    )
    assert _outcomes(results) == (1, 1)
    final = SealRequest.objects.get(pk=request.pk)
    joint_step = request.steps.get(position=2)
    if final.status == RequestStatus.WITHDRAWN:
        assert not StepDecision.objects.filter(step=joint_step).exists()
        assert joint_step.status == StepStatus.CANCELLED
    else:
        assert final.status == RequestStatus.IN_APPROVAL
        assert StepDecision.objects.filter(step=joint_step).count() == 1


def test_two_custodians_signing_a_joint_step_at_once_approve_it_once(
    world: World, catalog: Catalog
) -> None:
    request = seal_request_submit(
        request=request_make(world, catalog.joint_matter), by=world.sn_clerk
    )
    view_documents(request, world.sn_secretary)
    request = seal_request_approve(request=request, by=world.sn_secretary)
    for custodian in (world.sn_custodian1, world.sn_custodian2):
        view_documents(request, custodian)
    results = run_concurrently(
        [
            lambda: seal_request_approve(request=request, by=world.sn_custodian1),
            lambda: seal_request_approve(request=request, by=world.sn_custodian2),
        ]
    )
    assert _outcomes(results) == (2, 0)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    assert (
        Notification.objects.filter(person=world.sn_clerk, event="seal_request.approved").count()
        == 1
    )


def test_two_reminders_at_once_send_one(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    results = run_concurrently(
        [lambda: seal_request_remind(request=request, by=world.sn_clerk) for _ in range(3)]
    )
    assert _outcomes(results) == (1, 2)
    assert Notification.objects.filter(event="seal_request.remind").count() == 1
