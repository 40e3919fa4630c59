"""The district's own holiday calendar overrides the package for the years it enters;
admins are warned when a deadline falls in a year neither knows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conftest import World, client_for
from zhiyin.approvals.calendar_years import (
    calendar_override_for,
    calendar_year_save,
    unknown_calendar_years,
)
from zhiyin.approvals.models import ApprovalStep, CalendarYear, StepStatus
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, request_make
from zhiyin.approvals.timelimits import step_deadline
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.lib.workcalendar import (
    CalendarOverride,
    DatesInvalid,
    calendar_years,
    dates_parse,
    is_workday,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FUTURE = calendar_years()[1] + 1  # a year the installed package does not know


def _monday(year: int) -> dt.date:
    day = dt.date(year, 3, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def test_the_district_entry_decides_its_years() -> None:
    monday = _monday(FUTURE)
    saturday = monday + dt.timedelta(days=5)
    override = CalendarOverride(
        years=frozenset({FUTURE}), holidays=frozenset({monday}), workdays=frozenset({saturday})
    )
    assert is_workday(monday) and not is_workday(monday, override)
    assert not is_workday(saturday) and is_workday(saturday, override)


def test_dates_are_read_one_per_line_or_as_a_range() -> None:
    days = dates_parse(f"{FUTURE}-02-05 至 {FUTURE}-02-07\n{FUTURE}年10月1日", year=FUTURE)
    assert len(days) == 4 and dt.date(FUTURE, 10, 1) in days
    with pytest.raises(DatesInvalid):
        dates_parse("春节", year=FUTURE)
    with pytest.raises(DatesInvalid):
        dates_parse(f"{FUTURE + 1}-01-01", year=FUTURE)


def test_a_deadline_skips_the_districts_holiday(world: World) -> None:
    monday = _monday(FUTURE)
    start = dt.datetime.combine(monday, dt.time(9, 0), SHANGHAI)
    plain = step_deadline(start=start, amount=1, unit="days", district_id=world.district.pk)
    assert plain.date() == monday + dt.timedelta(days=1)
    calendar_year_save(
        district=world.district,
        year=FUTURE,
        holidays=f"{monday + dt.timedelta(days=1)} 至 {monday + dt.timedelta(days=2)}",
        workdays="",
        by=world.district_admin,
    )
    held = step_deadline(start=start, amount=1, unit="days", district_id=world.district.pk)
    assert held.date() == monday + dt.timedelta(days=3)
    assert AuditEvent.objects.filter(action="calendar_year.save").exists()


def test_a_wrong_entry_saves_nothing(world: World) -> None:
    with pytest.raises(RuleViolation, match="不是日期"):
        calendar_year_save(
            district=world.district, year=FUTURE, holidays="国庆", workdays="", by=None
        )
    assert not CalendarYear.objects.exists()
    assert calendar_override_for(district_id=world.district.pk).years == frozenset()


def test_the_admin_enters_a_year_in_the_admin(world: World) -> None:
    client = client_for(world.district_admin)
    url = "/admin/approvals/calendaryear/add/"
    bad = client.post(
        url, {"district": world.district.pk, "year": FUTURE, "holidays": "春节", "workdays": ""}
    )
    assert bad.status_code == 200 and "不是日期" in bad.content.decode()
    assert not CalendarYear.objects.exists()
    good = client.post(
        url,
        {
            "district": world.district.pk,
            "year": FUTURE,
            "holidays": f"{FUTURE}-10-01 至 {FUTURE}-10-07",
            "workdays": f"{FUTURE}-09-26",
        },
    )
    assert good.status_code == 302
    assert CalendarYear.objects.get().year == FUTURE
    assert client_for(world.sn_clerk).get(url).status_code in (302, 403)


def test_admins_are_warned_of_a_deadline_in_an_unknown_year(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    step = ApprovalStep.objects.get(request=request, status=StepStatus.ACTIVE)
    step.deadline = dt.datetime(FUTURE, 2, 10, 9, 0, tzinfo=SHANGHAI)
    step.save(update_fields=["deadline"])
    assert unknown_calendar_years(district_ids={world.district.pk}) == {FUTURE: 1}
    home = client_for(world.district_admin).get("/").content.decode()
    assert f"落在 {FUTURE} 年" in home
    assert f"落在 {FUTURE} 年" not in client_for(world.sn_secretary).get("/").content.decode()
    calendar_year_save(
        district=world.district, year=FUTURE, holidays=f"{FUTURE}-02-10", workdays="", by=None
    )
    assert unknown_calendar_years(district_ids={world.district.pk}) == {}
    assert f"落在 {FUTURE} 年" not in client_for(world.district_admin).get("/").content.decode()
