"""What each transition costs in SQL statements: an upper bound at today's count, so a
re-read or a per-person query that creeps back in fails here (the workflow bench measures
the time; `docs/scale.md` has the figures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import World
from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.services import seal_request_approve, seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, request_make, view_documents
from zhiyin.delivery.models import Notification

pytestmark = pytest.mark.django_db

#: Statements per transition, transaction control (savepoints) left out; in this world
#: everyone has a phone (so preferences are read) and no outside channel is switched on
#: by default (so no outbox rows). Submit: the locked request, its documents, the
#: negative list (3), the chain's steps, the calendar, the steps' insert, the request's
#: update, the first step's holders, their preferences and who of them is a resident,
#: the notice, the log head and event, the enabled rules and the burst count.
SUBMIT = 17
#: An approval that opens the next step: the locked request and round steps, the
#: approver's grant and unviewed documents (one query), the decision, closing the 待办,
#: the calendar, the two steps' updates, the next holders, their preferences (2), the
#: notice, the request, the log head and event.
APPROVE_NEXT = 15
#: The last approval: no next step, so no step update; the custodians (two) and the
#: applicant are read and told together: one read of people, two of preferences, three
#: notices.
APPROVE_LAST = 16


def _log_lock() -> int:
    """PostgreSQL takes the district log's advisory lock in one more statement (SQLite's
    write transaction is the lock)."""
    return 1 if connection.vendor == "postgresql" else 0


def _statements(run: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        result = run()
    sql = [q["sql"] for q in captured.captured_queries]
    control = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")
    return result, [s for s in sql if not s.upper().startswith(control)]


def _request_reads(sql: list[str]) -> int:
    """Reads of request rows (the burst rule's count reads none)."""
    return sum(1 for s in sql if s.startswith('SELECT "approvals_sealrequest"."id"'))


def test_each_transition_stays_within_its_statement_count(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter)
    for person in (world.sn_leader1, world.sn_secretary):
        view_documents(request, person)

    submitted, sql = _statements(lambda: seal_request_submit(request=request, by=world.sn_clerk))
    assert submitted.status == RequestStatus.SUBMITTED
    assert len(sql) <= SUBMIT + _log_lock(), "\n".join(sql)
    assert _request_reads(sql) == 1  # locked once, never re-read (the burst rule counts)

    approved, sql = _statements(
        lambda: seal_request_approve(request=submitted, by=world.sn_leader1)
    )
    assert approved.status == RequestStatus.IN_APPROVAL
    assert len(sql) <= APPROVE_NEXT + _log_lock(), "\n".join(sql)
    assert _request_reads(sql) == 1
    assert sum('FROM "approvals_calendaryear"' in s for s in sql) == 1

    approved, sql = _statements(
        lambda: seal_request_approve(request=approved, by=world.sn_secretary)
    )
    assert approved.status == RequestStatus.APPROVED
    assert len(sql) <= APPROVE_LAST + _log_lock(), "\n".join(sql)
    assert _request_reads(sql) == 1
    # Every notice still written.
    told = set(
        Notification.objects.filter(link=f"/requests/{request.pk}/").values_list(
            "person_id", "event"
        )
    )
    assert {
        (world.sn_leader1.pk, "seal_request.step_activated"),
        (world.sn_secretary.pk, "seal_request.step_activated"),
        (world.sn_clerk.pk, "seal_request.approved"),
    } <= told


def test_the_preferences_of_everyone_told_are_read_together(world: World, catalog: Catalog) -> None:
    """Two custodians and the applicant told at the last approval: the preference and
    resident reads do not grow with the number of people."""
    request = request_make(world, catalog.matter)
    for person in (world.sn_leader1, world.sn_secretary):
        view_documents(request, person)
    request = seal_request_submit(request=request, by=world.sn_clerk)
    request = seal_request_approve(request=request, by=world.sn_leader1)
    _approved, sql = _statements(
        lambda: seal_request_approve(request=request, by=world.sn_secretary)
    )
    told = Notification.objects.filter(
        link=f"/requests/{request.pk}/", event="seal_request.approved"
    ).count()
    assert told == 3  # two custodians and the applicant
    assert sum('FROM "delivery_notificationpreference"' in s for s in sql) == 1
    assert sum('FROM "orgs_rolegrant"' in s and '"role" FROM' in s for s in sql) == 1
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
