"""Every write of `oversight`, one module per purpose: `rulebook` (the rules and their
versions), `raising` (warnings exactly once, the sweep), `lifecycle` (rectify, close,
dismiss), `ledgers` (exports). Who may act on a warning is read by `oversight.selectors`.

Raising is an insert that ignores a conflict on (rule, fact key), inside a savepoint, so a
sweep run twice, or two workers sweeping at once, add one warning per fact. Every
transition locks the warning row, is audited, and tells the village's secretary (in-app,
SMS and staff-platform channels through `delivery.notify`).
"""

from zhiyin.oversight.services.ledgers import ledger_export_request, ledger_export_run
from zhiyin.oversight.services.lifecycle import (
    warning_close,
    warning_dismiss_decide,
    warning_dismiss_request,
    warning_rectify,
)
from zhiyin.oversight.services.raising import warning_raise, warning_sweep
from zhiyin.oversight.services.rulebook import (
    starter_rules_install,
    warning_rule_parameters_check,
    warning_rule_update,
)

__all__ = [
    "ledger_export_request",
    "ledger_export_run",
    "starter_rules_install",
    "warning_close",
    "warning_dismiss_decide",
    "warning_dismiss_request",
    "warning_raise",
    "warning_rectify",
    "warning_rule_parameters_check",
    "warning_rule_update",
    "warning_sweep",
]
