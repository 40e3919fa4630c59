"""The logic of each warning rule, keyed by `WarningRule.code`.

Two kinds:

- **event rules** look at one new audit event. `on_audit_event` is listed in
  `settings.AUDIT_SUBSCRIBERS`, so the log calls it inside the transaction of the
  service that recorded the event: a warning commits with the fact it is about, or not
  at all. Only actions some rule listens to cost a query.
- **sweep rules** need history or the passing of time (a step that became late, an
  emergency use never approved). `warning_sweep` (a periodic task) runs them.

A rule returns `Finding`s; `services.warning_raise` turns each into at most one
`Warning` per (rule, fact key). Device facts arrive only as audit events from the
devices app (`stamp_event.record`, `device.alarm`, `device.emergency_open` …), read
from their `after` data; this package imports nothing from it.

The rules live by subject — `requests`, `terminals` (event rules), `sweeps` — on the
shared readers of `facts`; this module holds the table of event rules and the audit
subscriber.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext_noop

from zhiyin.audit.models import AuditEvent
from zhiyin.oversight.rules.facts import EventRule, Finding, SweepRule, fact
from zhiyin.oversight.rules.requests import (
    applicant_burst,
    document_mismatch,
    duties_conflict_attempt,
    off_hours_use,
    rent_below_floor,
    resolution_missing,
)
from zhiyin.oversight.rules.sweeps import SWEEP_RULES
from zhiyin.oversight.rules.terminals import device_alarm, stamp_status_rule

__all__ = [
    "EVENT_RULES",
    "RULES_BY_ACTION",
    "SWEEP_RULES",
    "EventRule",
    "Finding",
    "SweepRule",
    "fact",
    "on_audit_event",
]


#: code → (actions it listens to, function).
EVENT_RULES: dict[str, tuple[tuple[str, ...], EventRule]] = {
    "off_hours_use": (("seal_request.complete", "stamp_event.record"), off_hours_use),
    "stamp_over_count": (
        ("stamp_event.record",),
        stamp_status_rule("over_count", gettext_noop("超过授权次数")),
    ),
    "stamp_outside_window": (
        ("stamp_event.record",),
        stamp_status_rule("outside_window", gettext_noop("不在授权时段")),
    ),
    "stamp_without_grant": (
        ("stamp_event.record",),
        stamp_status_rule("no_grant", gettext_noop("无授权盖章（先盖后批）")),
    ),
    "document_mismatch": (
        ("stamp_event.record", "sealed_document.create", "sealing.document_mismatch"),
        document_mismatch,
    ),
    "duties_conflict_attempt": (("seal_request.duties_refused",), duties_conflict_attempt),
    "applicant_burst": (("seal_request.submit",), applicant_burst),
    "resolution_missing": (("seal_request.complete",), resolution_missing),
    "rent_below_floor": (("seal_request.submit",), rent_below_floor),
    "device_alarm": (("device.alarm",), device_alarm),
}


RULES_BY_ACTION: dict[str, tuple[str, ...]] = {}
for _code, (_actions, _fn) in EVENT_RULES.items():
    for _action in _actions:
        RULES_BY_ACTION[_action] = (*RULES_BY_ACTION.get(_action, ()), _code)


def on_audit_event(event: AuditEvent) -> None:
    """The audit subscriber: run the enabled event rules that listen to this action."""
    codes = RULES_BY_ACTION.get(event.action)
    if not codes:
        return
    from zhiyin.oversight.selectors import event_rules_enabled
    from zhiyin.oversight.services import warning_raise

    after = json.loads(event.after) if event.after else {}
    if not isinstance(after, dict):
        return
    for rule in event_rules_enabled(codes):
        for finding in EVENT_RULES[rule.code][1](event, after, rule.parameters or {}):
            warning_raise(rule=rule, finding=finding)
