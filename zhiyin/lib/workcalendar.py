"""Working time on the official Chinese calendar (审核时效), without Django.

Time limits of approval steps count working time only: working hours on working days.
Which days are working days comes from the `chinese_calendar` package, which follows the
State Council's yearly holiday notice, make-up workdays (调休) included. That package
only knows the years the State Council has published; for a later year it falls back to
weekdays minus the date-fixed holidays and logs a warning (see `is_workday`).

A working day counts as the day's full working time, so "1 working day" from Monday
10:00 is Tuesday 10:00. A deadline that lands exactly on the end of a working period
stays there (Friday 17:30), it is never pushed to the next morning.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

from zhiyin.lib.messages import PersonFacingError, gettext_noop

Unit = Literal["hours", "days"]
logger = logging.getLogger(__name__)

#: A guard against loops on absurd inputs: no step waits more than ten years.
_MAX_DAYS = 3660


class CalendarNotCovered(PersonFacingError):
    """The official holiday calendar for that year is not known (yet)."""


def calendar_years() -> tuple[int, int]:
    """First and last year the installed `chinese_calendar` knows."""
    days = chinese_calendar.holidays.keys()
    return min(days).year, max(days).year


#: Holidays fixed by date in 全国年节及纪念日放假办法 (元旦, 劳动节, 国庆节). The lunar
#: holidays and the 调休 swaps are only known once the State Council publishes a year.
_FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


@dataclass(frozen=True)
class CalendarOverride:
    """A district's own entry of official rest days and make-up workdays (调休) for some
    years, typed in from the State Council's notice before the package knows the year.
    For a year in `years` it replaces the package: a day is a working day when it is a
    make-up workday, or a weekday that is not a listed holiday."""

    years: frozenset[int] = frozenset()
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def decides(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


NO_OVERRIDE = CalendarOverride()


def year_known(year: int, override: CalendarOverride = NO_OVERRIDE) -> bool:
    """Whether the official calendar of `year` is known (to the package or the district)."""
    first, last = calendar_years()
    return first <= year <= last or year in override.years


def is_workday(day: dt.date, override: CalendarOverride = NO_OVERRIDE) -> bool:
    """Whether `day` is an official working day (holidays and 调休 included).

    A district's own entry for the year (`override`) wins over the package.

    For a year the installed package does not know yet (the notice for next year comes
    out late in the year), approvals must not stop on 1 January: such days fall back to
    weekdays minus the date-fixed statutory holidays, and a warning asks the operator to
    upgrade chinese-calendar. Years before the package's first year are refused.
    """
    if override.decides(day):
        return override.is_workday(day)
    first, last = calendar_years()
    if day.year < first:
        raise CalendarNotCovered(
            gettext_noop("官方节假日安排只覆盖 %(first)d 年以后，无法计算 %(day)s 的工作时间。"),
            first=first,
            day=day.isoformat(),
        )
    if day.year > last:
        _warn_uncovered(day.year, last)
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS
    return bool(chinese_calendar.is_workday(day))


@functools.cache
def _warn_uncovered(year: int, last: int) -> None:
    logger.warning(
        "chinese-calendar knows holidays up to %s only; %s uses weekdays and fixed-date "
        "holidays until the package is upgraded",
        last,
        year,
    )


def _default_periods() -> tuple[tuple[dt.time, dt.time], ...]:
    return ((dt.time(8, 0), dt.time(12, 0)), (dt.time(14, 30), dt.time(17, 30)))


@dataclass(frozen=True)
class WorkingHours:
    """The office hours of one place: ordered, non-overlapping periods of each working day.

    The default is the Hainan village day, 08:00–12:00 and 14:30–17:30 Beijing time.
    """

    periods: tuple[tuple[dt.time, dt.time], ...] = field(default_factory=_default_periods)
    timezone: str = "Asia/Shanghai"
    override: CalendarOverride = NO_OVERRIDE

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("工作时段不能为空。")
        previous_end: dt.time | None = None
        for start, end in self.periods:
            if start >= end:
                raise ValueError(f"工作时段 {start}–{end} 的开始时间必须早于结束时间。")
            if previous_end is not None and start < previous_end:
                raise ValueError("工作时段必须按时间先后排列且互不重叠。")
            previous_end = end
        ZoneInfo(self.timezone)  # fails loudly on an unknown zone name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_length(self) -> dt.timedelta:
        """The full working time of one working day."""
        return sum(
            (
                dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)
                for start, end in self.periods
            ),
            dt.timedelta(),
        )

    def intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The aware working intervals of `day` (none on a rest day)."""
        if not is_workday(day, self.override):
            return []
        zone = self.zone
        return [
            (dt.datetime.combine(day, start, zone), dt.datetime.combine(day, end, zone))
            for start, end in self.periods
        ]


DEFAULT_HOURS = WorkingHours()


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} 必须是带时区的时间。")


def _days_from(day: dt.date) -> Iterator[dt.date]:
    for offset in range(_MAX_DAYS):
        yield day + dt.timedelta(days=offset)
    raise ValueError("时限过长：超过十年。")


def deadline_add(
    start: dt.datetime, amount: int, unit: Unit, hours: WorkingHours = DEFAULT_HOURS
) -> dt.datetime:
    """The instant `amount` working hours or days after `start`, in `start`'s time zone.

    Time before, between and after working periods and on rest days does not count.
    """
    _require_aware(start, "start")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("时限必须是不小于 0 的整数。")
    if unit == "hours":
        remaining = dt.timedelta(hours=amount)
    elif unit == "days":
        remaining = hours.day_length * amount
    else:
        raise ValueError(f"未知的时限单位：{unit}")
    if not remaining:
        return start
    local_start = start.astimezone(hours.zone)
    for day in _days_from(local_start.date()):
        for period_start, period_end in hours.intervals(day):
            begin = max(period_start, local_start)
            if begin >= period_end:
                continue
            available = period_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
    raise AssertionError("unreachable: _days_from raises first")  # pragma: no cover


def working_duration(
    start: dt.datetime, end: dt.datetime, hours: WorkingHours = DEFAULT_HOURS
) -> dt.timedelta:
    """Working time elapsed from `start` to `end` (zero when `end` is not later)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return dt.timedelta()
    local_start = start.astimezone(hours.zone)
    local_end = end.astimezone(hours.zone)
    total = dt.timedelta()
    day = local_start.date()
    while day <= local_end.date():
        for period_start, period_end in hours.intervals(day):
            begin = max(period_start, local_start)
            finish = min(period_end, local_end)
            if finish > begin:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


_DATE = r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?"
_RANGE = re.compile(rf"^{_DATE}(?:\s*(?:至|到|~|～|—|--)\s*{_DATE})?$")


class DatesInvalid(PersonFacingError):
    """A line of a district's holiday entry is not a date or a range of dates."""


def dates_parse(text: str, *, year: int) -> frozenset[dt.date]:
    """Dates typed one per line, or as a range ("2027-02-05 至 2027-02-13"); every date
    must fall in `year`. Commas and Chinese punctuation separate entries too."""
    days: set[dt.date] = set()
    for raw in re.split(r"[\n,，、;；]+", text):
        line = raw.strip()
        if not line:
            continue
        match = _RANGE.match(line)
        try:
            if match is None:
                raise ValueError(line)
            first = dt.date(int(match[1]), int(match[2]), int(match[3]))
            last = dt.date(int(match[4]), int(match[5]), int(match[6])) if match[4] else first
        except ValueError as exc:
            raise DatesInvalid(
                gettext_noop(
                    "“%(line)s”不是日期，请写成 2027-02-05，或 2027-02-05 至 2027-02-13。"
                ),
                line=line,
            ) from exc
        if last < first or (last - first).days > 60:
            raise DatesInvalid(gettext_noop("“%(line)s”的日期范围不对。"), line=line)
        for n in range((last - first).days + 1):
            day = first + dt.timedelta(days=n)
            if day.year != year:
                raise DatesInvalid(
                    gettext_noop("“%(line)s”不在 %(year)d 年内。"), line=line, year=year
                )
            days.add(day)
    return frozenset(days)
