"""The warning rules themselves: installing the starter set, and audited updates
that keep every earlier version (a warning names the version that raised it)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person
from zhiyin.oversight.models import (
    WarningRule,
    WarningRuleVersion,
)
from zhiyin.oversight.rules import EVENT_RULES, SWEEP_RULES
from zhiyin.oversight.starter import STARTER_RULES


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


def warning_rule_parameters_check(code: str, parameters: Any) -> dict[str, Any]:
    """The parameters if they are a JSON object with only the starter rule's names and value types;
    refuses otherwise, writes nothing."""
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
        rule.parameters = warning_rule_parameters_check(rule.code, parameters)
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
