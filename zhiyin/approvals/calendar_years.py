"""A district's own holiday calendar (节假日安排): saving a year, and the override the
deadline arithmetic uses. Both ends of one rule: the dates must parse and fall in the
year, or nothing is saved."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from zhiyin.approvals.models import ApprovalStep, CalendarYear, StepStatus
from zhiyin.audit.services import audit_record
from zhiyin.core.errors import RuleViolation
from zhiyin.lib.workcalendar import (
    NO_OVERRIDE,
    CalendarOverride,
    DatesInvalid,
    calendar_years,
    dates_parse,
    year_known,
)
from zhiyin.orgs.models import District, Person


def calendar_dates_check(*, year: int, holidays: str, workdays: str) -> None:
    """RuleViolation with the first line that is not a date of `year`."""
    try:
        days_off = dates_parse(holidays, year=year)
        days_on = dates_parse(workdays, year=year)
    except DatesInvalid as exc:
        raise RuleViolation.from_error(exc) from exc
    both = sorted(days_off & days_on)
    if both:
        raise RuleViolation(_("%(day)s 不能既放假又上班。") % {"day": both[0].isoformat()})


@transaction.atomic
def calendar_year_save(
    *, district: District, year: int, holidays: str, workdays: str, by: Person | None
) -> CalendarYear:
    calendar_dates_check(year=year, holidays=holidays, workdays=workdays)
    entry = CalendarYear.objects.select_for_update().filter(district=district, year=year).first()
    before = {"holidays": entry.holidays, "workdays": entry.workdays} if entry else None
    if entry is None:
        entry = CalendarYear(district=district, year=year)
    entry.holidays, entry.workdays = holidays, workdays
    entry.save()
    audit_record(
        actor=by,
        action="calendar_year.save",
        target=entry,
        before=before,
        after={"year": year, "holidays": holidays, "workdays": workdays},
        scope=district.name,
    )
    return entry


def calendar_override_for(*, district_id: int | None) -> CalendarOverride:
    """The district's entered years, for the deadline arithmetic."""
    if district_id is None:
        return NO_OVERRIDE
    years: set[int] = set()
    off: set[dt.date] = set()
    on: set[dt.date] = set()
    entries = CalendarYear.objects.filter(district_id=district_id).order_by()
    for year, holidays, workdays in entries.values_list("year", "holidays", "workdays"):
        try:
            off |= dates_parse(holidays, year=year)
            on |= dates_parse(workdays, year=year)
        except DatesInvalid:
            continue  # saved through the service, so only a hand-edited row lands here
        years.add(year)
    return CalendarOverride(years=frozenset(years), holidays=frozenset(off), workdays=frozenset(on))


def unknown_calendar_years(*, district_ids: set[int]) -> dict[int, int]:
    """Year → number of open steps whose deadline falls in a year neither the package nor
    the district's entry knows (their working time was counted on weekdays alone)."""
    _first, last = calendar_years()
    result: dict[int, int] = {}
    steps = ApprovalStep.objects.filter(
        status=StepStatus.ACTIVE,
        deadline__year__gt=last,
        request__village__district_id__in=district_ids,
    ).values_list("deadline", "request__village__district_id")
    overrides: dict[int, CalendarOverride] = {}
    for deadline, district_id in steps:
        override = overrides.setdefault(district_id, calendar_override_for(district_id=district_id))
        if deadline is not None and not year_known(deadline.year, override):
            result[deadline.year] = result.get(deadline.year, 0) + 1
    return result
