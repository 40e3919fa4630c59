"""Working time on the official calendar: holidays, make-up workdays, office hours."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from zhiyin.lib.workcalendar import (
    DEFAULT_HOURS,
    CalendarNotCovered,
    WorkingHours,
    calendar_years,
    deadline_add,
    is_workday,
    working_duration,
)

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


def test_it_knows_national_day_2025_and_its_make_up_workdays() -> None:
    assert all(not is_workday(dt.date(2025, 10, d)) for d in range(1, 9))
    assert is_workday(dt.date(2025, 9, 28))  # Sunday, make-up workday
    assert is_workday(dt.date(2025, 10, 11))  # Saturday, make-up workday
    assert not is_workday(dt.date(2025, 10, 12))


def test_it_refuses_years_before_the_official_calendar() -> None:
    first, _ = calendar_years()
    with pytest.raises(CalendarNotCovered, match="无法计算"):
        deadline_add(at(first - 1, 6, 3, 9), 8, "hours")


def test_a_year_not_yet_published_falls_back_to_weekdays_and_fixed_holidays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from zhiyin.lib import workcalendar

    workcalendar._warn_uncovered.cache_clear()
    _, last = calendar_years()
    year = last + 1
    new_year = dt.date(year, 1, 1)
    assert not is_workday(new_year)
    assert not is_workday(dt.date(year, 10, 2))
    weekday = next(dt.date(year, 3, d) for d in range(2, 9) if dt.date(year, 3, d).weekday() == 2)
    assert is_workday(weekday)
    assert not is_workday(weekday + dt.timedelta(days=3))  # Saturday
    # A step that starts on the last afternoon of the known calendar still gets a deadline.
    deadline = deadline_add(at(last, 12, 31, 16), 8, "hours")
    assert deadline.year == year
    assert "until the package is upgraded" in caplog.text


def test_a_friday_request_before_national_day_waits_for_the_holiday_to_end() -> None:
    # Friday 26 Sept 2025, 16:00: 1.5 h left that day; Saturday is off, but Sunday
    # 28 Sept is a make-up workday that gives the remaining 6.5 h.
    deadline = deadline_add(at(2025, 9, 26, 16), 8, "hours", DEFAULT_HOURS)
    assert deadline == at(2025, 9, 28, 17)
    # Without the make-up Sunday it would have been Monday 29 Sept.
    assert deadline < at(2025, 9, 29, 8)


def test_a_request_on_the_last_day_before_national_day_lands_after_the_holiday() -> None:
    # Tue 30 Sept 16:00: 1.5 h, then Oct 1–8 off, Thu 9 Oct gives the remaining 6.5 h.
    assert deadline_add(at(2025, 9, 30, 16), 8, "hours") == at(2025, 10, 9, 17)
    assert working_duration(at(2025, 9, 30, 16), at(2025, 10, 9, 17)) == dt.timedelta(hours=8)


def test_the_make_up_saturday_counts_as_a_working_day() -> None:
    # Fri 10 Oct 2025 10:00 + 1 working day → Sat 11 Oct 10:00 (调休 workday).
    assert deadline_add(at(2025, 10, 10, 10), 1, "days") == at(2025, 10, 11, 10)


def test_it_skips_the_2026_spring_festival() -> None:
    # Sat 14 Feb 2026 is a make-up workday; 15–23 Feb are off.
    assert is_workday(dt.date(2026, 2, 14))
    assert deadline_add(at(2026, 2, 13, 17), 8, "hours") == at(2026, 2, 24, 8, 30)
    assert deadline_add(at(2026, 2, 14, 9), 2, "days") == at(2026, 2, 25, 9)


def test_a_start_outside_working_hours_counts_from_the_next_period() -> None:
    assert deadline_add(at(2025, 11, 3, 6), 2, "hours") == at(2025, 11, 3, 10)
    assert deadline_add(at(2025, 11, 3, 12, 45), 1, "hours") == at(2025, 11, 3, 15, 30)
    assert deadline_add(at(2025, 11, 3, 20), 1, "hours") == at(2025, 11, 4, 9)


def test_weekends_do_not_count() -> None:
    # Fri 7 Nov 2025 17:00 + 1 h → Mon 10 Nov 08:30.
    assert deadline_add(at(2025, 11, 7, 17), 1, "hours") == at(2025, 11, 10, 8, 30)
    assert working_duration(at(2025, 11, 7, 17), at(2025, 11, 10, 8, 30)) == dt.timedelta(
        minutes=60
    )


def test_a_deadline_on_a_period_end_stays_there() -> None:
    assert deadline_add(at(2025, 11, 3, 8), 4, "hours") == at(2025, 11, 3, 12)
    assert deadline_add(at(2025, 11, 3, 8), 1, "days") == at(2025, 11, 3, 17, 30)


def test_zero_is_the_start_itself_and_negative_amounts_are_refused() -> None:
    assert deadline_add(at(2025, 11, 3, 20), 0, "hours") == at(2025, 11, 3, 20)
    with pytest.raises(ValueError, match="不小于 0"):
        deadline_add(at(2025, 11, 3, 9), -1, "hours")
    with pytest.raises(ValueError, match="单位"):
        deadline_add(at(2025, 11, 3, 9), 1, "weeks")  # type: ignore[arg-type]  # bad on purpose


def test_it_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="时区"):
        deadline_add(dt.datetime(2025, 11, 3, 9), 1, "hours")
    with pytest.raises(ValueError, match="时区"):
        working_duration(dt.datetime(2025, 11, 3, 9), at(2025, 11, 3, 10))


def test_it_returns_the_deadline_in_the_start_time_zone() -> None:
    start = at(2025, 11, 3, 9).astimezone(dt.UTC)
    deadline = deadline_add(start, 2, "hours")
    assert deadline.tzinfo == dt.UTC
    assert deadline == at(2025, 11, 3, 11)


def test_working_hours_are_configurable_and_validated() -> None:
    long_day = WorkingHours(periods=((dt.time(9), dt.time(18)),))
    assert long_day.day_length == dt.timedelta(hours=9)
    assert deadline_add(at(2025, 11, 3, 9), 1, "days", long_day) == at(2025, 11, 3, 18)
    with pytest.raises(ValueError, match="早于"):
        WorkingHours(periods=((dt.time(12), dt.time(8)),))
    with pytest.raises(ValueError, match="重叠"):
        WorkingHours(periods=((dt.time(8), dt.time(12)), (dt.time(11), dt.time(13))))


def test_duration_of_a_backwards_interval_is_zero() -> None:
    assert working_duration(at(2025, 11, 3, 10), at(2025, 11, 3, 9)) == dt.timedelta()


def test_duration_of_deadline_add_is_the_amount_for_many_random_starts() -> None:
    rng = random.Random(2025)
    base = at(2025, 9, 1)
    for _ in range(300):
        start = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 200))
        n = rng.randrange(0, 60)
        deadline = deadline_add(start, n, "hours")
        assert working_duration(start, deadline) == dt.timedelta(hours=n)
        days = rng.randrange(0, 6)
        deadline = deadline_add(start, days, "days")
        assert working_duration(start, deadline) == DEFAULT_HOURS.day_length * days
