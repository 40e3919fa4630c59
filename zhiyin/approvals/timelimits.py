"""Step deadlines and durations (审核时效) with the office hours from settings.

`settings.WORKING_HOURS` is a list of ("HH:MM", "HH:MM") periods of a working day in
`settings.TIME_ZONE`; the official holiday calendar decides which days are working days.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from zhiyin.core.errors import RuleViolation
from zhiyin.lib.workcalendar import (
    CalendarNotCovered,
    WorkingHours,
    deadline_add,
    working_duration,
)


def working_hours(*, district_id: int | None = None) -> WorkingHours:
    """Office hours from settings; the district's own holiday entry, where it has one,
    overrides the calendar package for its years."""
    from zhiyin.approvals.calendar_years import calendar_override_for

    periods = tuple(
        (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        for start, end in getattr(
            settings, "WORKING_HOURS", [("08:00", "12:00"), ("14:30", "17:30")]
        )
    )
    return WorkingHours(
        periods=periods,
        timezone=settings.TIME_ZONE,
        override=calendar_override_for(district_id=district_id),
    )


def step_deadline(
    *,
    start: dt.datetime,
    amount: int,
    unit: str,
    district_id: int | None = None,
    hours: WorkingHours | None = None,
) -> dt.datetime:
    """When a step activated at `start` with this time limit falls due; `hours` (the
    district's `working_hours`, read once per transition) saves reading them again."""
    if unit not in ("hours", "days"):
        raise RuleViolation(_("审批环节的时限单位无效。"))
    try:
        return deadline_add(
            start,
            amount,
            "hours" if unit == "hours" else "days",
            hours if hours is not None else working_hours(district_id=district_id),
        )
    except CalendarNotCovered as exc:
        raise RuleViolation.from_error(exc) from exc


def step_duration(
    *,
    start: dt.datetime,
    end: dt.datetime,
    district_id: int | None = None,
    hours: WorkingHours | None = None,
) -> dt.timedelta:
    """Working time a step took from activation to decision (`hours` as for `step_deadline`)."""
    try:
        return working_duration(
            start, end, hours if hours is not None else working_hours(district_id=district_id)
        )
    except CalendarNotCovered:
        return end - start
