"""Raising warnings exactly once per (rule, fact key): an insert in a savepoint that
gives way to the unique constraint, and the sweep, serialised per rule across workers."""

from __future__ import annotations

import datetime as dt
import zlib

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record, district_log
from zhiyin.delivery.services import notify
from zhiyin.orgs.models import Village
from zhiyin.oversight.models import (
    Warning,
    WarningRule,
)
from zhiyin.oversight.rules import SWEEP_RULES, Finding
from zhiyin.oversight.selectors import (
    village_secretaries,
    warning_rules_enabled,
)


def warning_link(warning: Warning) -> str:
    """The warning page's path, which every notice about the warning links to."""
    return reverse("oversight_warning", args=[warning.pk])


def village_tell(warning: Warning, text: str, event: str) -> None:
    """Tell the village's active secretaries about the warning, in the caller's transaction."""
    for person in village_secretaries(warning.village_id):
        notify(person=person, text=text, link=warning_link(warning), event=event)


def warning_raise(
    *, rule: WarningRule, finding: Finding, now: dt.datetime | None = None
) -> Warning | None:
    """Raise one warning for `finding` unless this rule already raised one for the fact.

    Must run inside a transaction (the service's own, or the sweep's). Returns the new
    warning, or None when it existed.
    """
    if Warning.objects.filter(rule=rule, fact_key=finding.fact_key).exists():
        return None
    district_id = (
        Village.objects.filter(pk=finding.village_id).values_list("district_id", flat=True).first()
    )
    if district_id is None:
        return None
    moment = now or timezone.now()
    warning = Warning(
        rule=rule,
        rule_version=rule.version,
        fact_key=finding.fact_key[:120],
        district_id=district_id,
        village_id=finding.village_id,
        severity=rule.severity,
        summary=finding.summary[:300],
        facts=finding.facts,
        request_id=finding.request_id,
        seal_id=finding.seal_id,
        source_event_seq=finding.source_event_seq,
        occurred_at=finding.occurred_at,
        raised_at=moment,
    )
    try:
        with transaction.atomic():
            warning.save(force_insert=True)
    except IntegrityError:
        return None  # another worker raised it a moment ago
    audit_record(
        actor=None,
        action="warning.raise",
        target=warning,
        after={
            "rule": rule.code,
            "rule_version": rule.version,
            "fact_key": warning.fact_key,
            "summary": warning.summary,
            "facts": warning.facts,
            "request": finding.request_id,
            "detail": finding.detail,
        },
        scope=str(finding.village_id),
        log=district_log(district_id),
    )
    village_tell(
        warning,
        _("预警（%(rule)s）：%(summary)s。请及时说明整改。")
        % {"rule": rule.name, "summary": warning.summary},
        "warning.raise",
    )
    return warning


_SWEEP_LOCK_CLASS = 0x7A79_7377  # "zysw"


SWEEP_CHUNK = 1000


def _sweep_lock(code: str) -> None:
    """Serialize raising by one rule across workers (PostgreSQL: a transaction-scoped
    advisory lock per rule; SQLite: the write transaction itself). The second worker
    then finds the first one's warnings and adds none; the unique constraint stays the
    last guard."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [_SWEEP_LOCK_CLASS, zlib.crc32(code.encode()) & 0x7FFF_FFFF],
            )


def warning_sweep(*, now: dt.datetime | None = None) -> int:
    """Run every enabled sweep rule; returns how many warnings this run raised.

    Findings are read first, those already raised are skipped in bulk, and each new one
    is raised in a short transaction of its own, so the audit log (whose appends are
    serialized) is held for one insert at a time, never for a whole sweep.
    """
    moment = now or timezone.now()
    raised = 0
    for rule in warning_rules_enabled(list(SWEEP_RULES)):
        findings = list(SWEEP_RULES[rule.code](rule.parameters or {}, moment))
        for start in range(0, len(findings), SWEEP_CHUNK):
            chunk = findings[start : start + SWEEP_CHUNK]
            known = set(
                Warning.objects.filter(
                    rule=rule, fact_key__in=[f.fact_key for f in chunk]
                ).values_list("fact_key", flat=True)
            )
            for finding in chunk:
                if finding.fact_key in known:
                    continue
                with transaction.atomic():
                    _sweep_lock(rule.code)
                    if warning_raise(rule=rule, finding=finding, now=moment) is not None:
                        raised += 1
    return raised
