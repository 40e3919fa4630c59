"""Every write of `oversight`: rules, raising warnings exactly once, and the lifecycle.

Raising is an insert that ignores a conflict on (rule, fact key), inside a savepoint, so a
sweep run twice, or two workers sweeping at once, add one warning per fact. Every
transition locks the warning row, is audited, and tells the village's secretary (in-app,
SMS and staff-platform channels through `delivery.notify`).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.files import file_record_fields, files_atomic, upload_check
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notify
from zhiyin.orgs.models import Person, Role, RoleGrant, Village
from zhiyin.oversight.ledger import LedgerSpec, ledger_count, ledger_pdf, ledger_xlsx
from zhiyin.oversight.models import (
    ExportStatus,
    LedgerExport,
    Warning,
    WarningEvidence,
    WarningRule,
    WarningRuleVersion,
    WarningState,
)
from zhiyin.oversight.rules import EVENT_RULES, SWEEP_RULES, Finding
from zhiyin.oversight.starter import STARTER_RULES

MAX_TEXT = 2000

# --- rules -------------------------------------------------------------------------------


def warning_rules_enabled(codes: Sequence[str]) -> list[WarningRule]:
    return list(WarningRule.objects.filter(code__in=codes, enabled=True).order_by("code"))


@transaction.atomic
def starter_rules_install() -> int:
    """Create the starter rules a district lacks (idempotent); returns how many were added."""
    added = 0
    for spec in STARTER_RULES:
        rule, created = WarningRule.objects.get_or_create(code=spec["code"], defaults=spec)
        if created:
            WarningRuleVersion.objects.create(rule=rule, version=1, snapshot=rule.snapshot())
            added += 1
    return added


def _parameters_check(code: str, parameters: Any) -> dict[str, Any]:
    if not isinstance(parameters, dict):
        raise RuleViolation(_('参数必须是 JSON 对象，例如 {"days": 30}。'))
    starter = next((s for s in STARTER_RULES if s["code"] == code), None)
    if starter is not None:
        unknown = sorted(set(parameters) - set(starter["parameters"]))
        if unknown:
            raise RuleViolation(_("未知的参数：%(names)s。") % {"names": "、".join(unknown)})
        for name, default in starter["parameters"].items():
            value = parameters.get(name, default)
            if (
                isinstance(default, bool) != isinstance(value, bool)
                or (isinstance(default, int | float) and not isinstance(value, int | float))
                or (isinstance(default, list) and not isinstance(value, list))
            ):
                raise RuleViolation(_("参数“%(name)s”的类型不对。") % {"name": name})
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise RuleViolation(_("参数“%(name)s”不能为负数。") % {"name": name})
    return parameters


@transaction.atomic
def warning_rule_update(
    *,
    rule: WarningRule,
    by: Person | None,
    name: str | None = None,
    severity: str | None = None,
    parameters: dict[str, Any] | None = None,
    basis: str | None = None,
    enabled: bool | None = None,
) -> WarningRule:
    """Change a rule: a new version, its snapshot, and an audit event with before/after."""
    rule = WarningRule.objects.select_for_update().get(pk=rule.pk)
    before = rule.snapshot()
    if rule.code not in EVENT_RULES and rule.code not in SWEEP_RULES:
        raise RuleViolation(_("规则“%(code)s”没有对应的判别逻辑。") % {"code": rule.code})
    if parameters is not None:
        rule.parameters = _parameters_check(rule.code, parameters)
    if name is not None:
        if not name.strip():
            raise RuleViolation(_("请填写规则名称。"))
        rule.name = name.strip()
    if severity is not None:
        rule.severity = severity
    if basis is not None:
        if not basis.strip():
            raise RuleViolation(_("请填写政策依据。"))
        rule.basis = basis.strip()
    if enabled is not None:
        rule.enabled = enabled
    changed = {k: v for k, v in rule.snapshot().items() if before.get(k) != v}
    if not changed:
        return rule
    rule.version += 1
    rule.save()
    WarningRuleVersion.objects.create(
        rule=rule, version=rule.version, snapshot=rule.snapshot(), changed_by=by
    )
    audit_record(
        actor=by, action="warning_rule.update", target=rule, before=before, after=rule.snapshot()
    )
    return rule


# --- raising -----------------------------------------------------------------------------


def _link(warning: Warning) -> str:
    return reverse("oversight_warning", args=[warning.pk])


def _secretaries(village_id: int) -> list[Person]:
    ids = (
        RoleGrant.objects.active()
        .filter(role=Role.SECRETARY, village_id=village_id, group__isnull=True)
        .values("person_id")
    )
    return list(Person.objects.filter(pk__in=ids, is_active=True))


def _tell_village(warning: Warning, text: str, event: str) -> None:
    for person in _secretaries(warning.village_id):
        notify(person=person, text=text, link=_link(warning), event=event)


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
    _tell_village(
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


# --- lifecycle ---------------------------------------------------------------------------


def _locked(warning: Warning) -> Warning:
    return Warning.objects.select_for_update().select_related("rule", "village").get(pk=warning.pk)


def _grants(person: Person) -> list[RoleGrant]:
    return list(RoleGrant.objects.active().filter(person=person))


def is_village_secretary(person: Person, village_id: int) -> bool:
    return any(
        g.role == Role.SECRETARY and g.village_id == village_id and g.group_id is None
        for g in _grants(person)
    )


def inspects(person: Person, warning: Warning) -> bool:
    """An inspector whose grant covers the warning's village (district or village)."""
    return any(
        g.role == Role.INSPECTOR
        and (
            g.village_id == warning.village_id
            or (
                g.village_id is None
                and g.bureau_id is None
                and g.district_id == warning.district_id
            )
        )
        for g in _grants(person)
    )


def is_senior_inspector(person: Person, warning: Warning) -> bool:
    """A district-wide inspector of the warning's district (纪委 at district level)."""
    return any(
        g.role == Role.INSPECTOR
        and g.village_id is None
        and g.bureau_id is None
        and g.district_id == warning.district_id
        for g in _grants(person)
    )


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise RuleViolation(_("请填写%(what)s。") % {"what": what})
    if len(value) > MAX_TEXT:
        raise RuleViolation(_("%(what)s不能超过 %(n)d 字。") % {"what": what, "n": MAX_TEXT})
    return value


def _state_data(warning: Warning) -> dict[str, Any]:
    return {"state": warning.state, "rule": warning.rule.code, "rule_version": warning.rule_version}


@files_atomic()
def warning_rectify(
    *, warning: Warning, by: Person, explanation: str, evidence: Sequence[UploadedFile] = ()
) -> Warning:
    """The village explains and attaches evidence (预警消除申请): red → yellow."""
    warning = _locked(warning)
    if not is_village_secretary(by, warning.village_id):
        raise RuleViolation(_("只有本村的支部书记（主任）可以提交整改说明。"))
    if warning.state != WarningState.RED:
        raise RuleViolation(
            _("该预警当前为“%(state)s”，不能提交整改说明。")
            % {"state": warning.get_state_display()}
        )
    text = _text(explanation, _("整改说明"))
    checked = [upload_check(upload) for upload in evidence]
    before = _state_data(warning)
    for item in checked:
        WarningEvidence.objects.create(
            warning=warning, **file_record_fields(item, prefix="warnings", by=by)
        )
    warning.state = WarningState.YELLOW
    warning.explanation = text
    warning.rectified_at = timezone.now()
    warning.rectified_by = by
    warning.save()
    audit_record(
        actor=by,
        action="warning.rectify",
        target=warning,
        before=before,
        after={
            **_state_data(warning),
            "explanation": text,
            "evidence": [c.sha256 for c in checked],
        },
        role=Role.SECRETARY,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    _tell_village(
        warning,
        _("预警“%(summary)s”的整改说明已提交，等待纪检监察审核。") % {"summary": warning.summary},
        "warning.rectify",
    )
    return warning


@transaction.atomic
def warning_close(*, warning: Warning, by: Person, conclusion: str) -> Warning:
    """An inspector closes the warning with a conclusion (办结)."""
    warning = _locked(warning)
    if not inspects(by, warning):
        raise RuleViolation(_("只有负责该村的纪检监察人员可以办结预警。"))
    if warning.state not in (WarningState.RED, WarningState.YELLOW):
        raise RuleViolation(
            _("该预警当前为“%(state)s”，不能办结。") % {"state": warning.get_state_display()}
        )
    text = _text(conclusion, _("办结结论"))
    before = _state_data(warning)
    warning.state = WarningState.CLOSED
    warning.conclusion = text
    warning.closed_at = timezone.now()
    warning.closed_by = by
    warning.save()
    audit_record(
        actor=by,
        action="warning.close",
        target=warning,
        before=before,
        after={**_state_data(warning), "conclusion": text},
        role=Role.INSPECTOR,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    _tell_village(
        warning,
        _("预警“%(summary)s”已办结：%(text)s") % {"summary": warning.summary, "text": text},
        "warning.close",
    )
    return warning


@transaction.atomic
def warning_dismiss_request(*, warning: Warning, by: Person, reason: str) -> Warning:
    """An inspector proposes that the warning was raised wrongly; a senior confirms."""
    warning = _locked(warning)
    if not inspects(by, warning):
        raise RuleViolation(_("只有负责该村的纪检监察人员可以申请撤销预警。"))
    if warning.state not in (WarningState.RED, WarningState.YELLOW):
        raise RuleViolation(
            _("该预警当前为“%(state)s”，不能申请撤销。") % {"state": warning.get_state_display()}
        )
    text = _text(reason, _("撤销理由"))
    before = _state_data(warning)
    warning.dismiss_from = warning.state
    warning.state = WarningState.DISMISS_PENDING
    warning.dismiss_reason = text
    warning.dismiss_requested_by = by
    warning.save()
    audit_record(
        actor=by,
        action="warning.dismiss_request",
        target=warning,
        before=before,
        after={**_state_data(warning), "reason": text},
        role=Role.INSPECTOR,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    _tell_village(
        warning,
        _("预警“%(summary)s”已申请撤销，待上级复核。") % {"summary": warning.summary},
        "warning.dismiss_request",
    )
    return warning


@transaction.atomic
def warning_dismiss_decide(
    *, warning: Warning, by: Person, confirm: bool, comment: str = ""
) -> Warning:
    """A senior inspector, not the one who asked, confirms the dismissal or refuses it
    (the warning then goes back to the state it was in)."""
    warning = _locked(warning)
    if not is_senior_inspector(by, warning):
        raise RuleViolation(_("撤销预警须由区级纪检监察人员复核。"))
    if by.pk == warning.dismiss_requested_by_id:
        raise RuleViolation(_("申请撤销的人不能复核自己的申请，请由另一位纪检监察人员复核。"))
    if warning.state != WarningState.DISMISS_PENDING:
        raise RuleViolation(_("该预警没有待复核的撤销申请。"))
    if not confirm:
        _text(comment, _("不同意撤销的理由"))
    before = _state_data(warning)
    if confirm:
        warning.state = WarningState.DISMISSED
        warning.dismiss_confirmed_by = by
        warning.closed_at = timezone.now()
        warning.closed_by = by
        action, text = "warning.dismiss_confirm", _("预警“%(summary)s”经复核已撤销。")
    else:
        warning.state = warning.dismiss_from or WarningState.RED
        warning.dismiss_requested_by = None
        action, text = (
            "warning.dismiss_refuse",
            _("预警“%(summary)s”的撤销申请未获同意，请继续整改。"),
        )
    warning.dismiss_from = ""
    warning.save()
    audit_record(
        actor=by,
        action=action,
        target=warning,
        before=before,
        after={**_state_data(warning), "comment": comment.strip()[:MAX_TEXT]},
        role=Role.INSPECTOR,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    _tell_village(warning, text % {"summary": warning.summary}, action)
    return warning


# --- ledger exports ----------------------------------------------------------------------

LEDGER_FORMATS = ("xlsx", "pdf")


@transaction.atomic
def ledger_export_request(
    *, by: Person, village: Village, start: dt.date, end: dt.date, file_format: str, public: bool
) -> LedgerExport:
    """Queue a ledger file to be built by a worker (large periods); the page shows its
    progress and offers the download when done."""
    if file_format not in LEDGER_FORMATS:
        raise RuleViolation(_("导出格式只能是 Excel 或 PDF。"))
    if end < start:
        raise RuleViolation(_("截止日期不能早于起始日期。"))
    export = LedgerExport.objects.create(
        requested_by=by,
        village=village,
        start=start,
        end=end,
        file_format=file_format,
        public=public,
        total=ledger_count(LedgerSpec(village=village, start=start, end=end, public=public)),
    )
    audit_record(
        actor=by,
        action="ledger.export",
        target=export,
        after={
            "village": village.pk,
            "start": start,
            "end": end,
            "format": file_format,
            "public": public,
        },
        scope=village.name,
    )
    export_id = export.pk
    transaction.on_commit(lambda: _enqueue_export(export_id))
    return export


def _enqueue_export(export_id: int) -> None:
    from zhiyin.oversight.tasks import ledger_export_build

    ledger_export_build.enqueue(export_id)


def ledger_export_run(*, export_id: int) -> bool:
    """Build one queued export. The claim is a conditional update (queued → running), so
    of two workers one builds it and the other returns False."""
    claimed = LedgerExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return False
    export = LedgerExport.objects.select_related("village").get(pk=export_id)
    spec = LedgerSpec(
        village=export.village, start=export.start, end=export.end, public=export.public
    )

    def progress(done: int) -> None:
        LedgerExport.objects.filter(pk=export_id).update(done=done)

    try:
        build = ledger_xlsx if export.file_format == "xlsx" else ledger_pdf
        data = build(spec, progress=progress)
    except Exception as exc:
        LedgerExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    name = f"ledgers/{export_id}-{uuid4().hex}.{export.file_format}"
    stored = default_storage.save(name, ContentFile(data))
    LedgerExport.objects.filter(pk=export_id).update(
        status=ExportStatus.DONE, file=stored, done=export.total, finished_at=timezone.now()
    )
    return True
