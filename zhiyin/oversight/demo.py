"""Demo data for oversight: the starter rules, and a first sweep over the demo requests."""

from __future__ import annotations

from zhiyin.oversight.services import starter_rules_install, warning_sweep


def oversight_demo_load() -> str:
    added = starter_rules_install()
    raised = warning_sweep()
    return f"{added} rules added, {raised} warnings raised by the sweep"
