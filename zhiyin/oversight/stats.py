"""The statistics page (驾驶舱): every figure is one SQL aggregate over the villages a
person oversees; Python only reshapes the grouped rows (a few hundred at most).

Medians use window functions (ROW_NUMBER/COUNT OVER), which SQLite and PostgreSQL both
run, and take the lower middle value (percentile_disc 0.5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from zhiyin.approvals.models import ApprovalStep, RequestStatus, SealRequest, StepStatus
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Village
from zhiyin.oversight.models import Warning


@dataclass(frozen=True)
class StepFigure:
    label: str
    decided: int
    on_time: int
    median: dt.timedelta | None

    @property
    def on_time_rate(self) -> float:
        return round(100 * self.on_time / self.decided, 1) if self.decided else 0.0

    @property
    def median_hours(self) -> float:
        return round(self.median.total_seconds() / 3600, 1) if self.median is not None else 0.0


@dataclass
class Dashboard:
    start: dt.date
    end: dt.date
    months: list[str] = field(default_factory=list)
    uses: list[dict[str, Any]] = field(default_factory=list)  # village, month, uses, stamps
    uses_by_village: list[tuple[str, int]] = field(default_factory=list)
    steps: list[StepFigure] = field(default_factory=list)
    step_villages: list[StepFigure] = field(default_factory=list)
    overdue: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # rule, state, n
    matters: list[tuple[str, int]] = field(default_factory=list)
    refusals: list[tuple[str, int]] = field(default_factory=list)

    @property
    def refusals_total(self) -> int:
        return sum(n for _name, n in self.refusals)

    def chart_data(self) -> dict[str, Any]:
        villages = [name for name, _n in self.uses_by_village]
        by_cell = {(u["village"], u["month"]): u["uses"] for u in self.uses}
        return {
            "months": self.months,
            "uses": [
                {"name": v, "data": [by_cell.get((v, m), 0) for m in self.months]}
                for v in villages[:12]
            ],
            "steps": [
                {"name": s.label, "rate": s.on_time_rate, "median": s.median_hours}
                for s in self.steps
            ],
            "warnings": self.warnings,
            "matters": [{"name": n, "value": v} for n, v in self.matters],
        }


def _as_duration(value: Any) -> dt.timedelta | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=int(value))  # SQLite stores durations as microseconds


_MEDIAN_SQL = {
    # PostgreSQL sorts each group on its own: far cheaper than a window over every row.
    "postgresql": """
        SELECT {key}, COUNT(*), SUM(CASE WHEN decided_at <= deadline THEN 1 ELSE 0 END),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY duration)
        FROM {table}
        WHERE status = %s AND duration IS NOT NULL AND decided_at >= %s AND decided_at < %s
          AND village_id IN ({marks})
        GROUP BY {key}
    """,
    # SQLite has no ordered-set aggregates: number the rows of each group instead.
    "sqlite": """
        SELECT label, n, on_time, duration FROM (
            SELECT {key} AS label, duration,
                   ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY duration) AS rn,
                   COUNT(*) OVER (PARTITION BY {key}) AS n,
                   SUM(CASE WHEN decided_at <= deadline THEN 1 ELSE 0 END)
                       OVER (PARTITION BY {key}) AS on_time
            FROM {table}
            WHERE status = %s AND duration IS NOT NULL AND decided_at >= %s AND decided_at < %s
              AND village_id IN ({marks})
        ) ranked WHERE rn = (n + 1) / 2
    """,
}


def _step_figures(
    *,
    village_ids: Sequence[int],
    names: dict[int, str],
    start: dt.datetime,
    end: dt.datetime,
    by_village: bool,
) -> list[StepFigure]:
    """Decided steps, how many on time, and the median working duration, per step name
    (or per village): one grouped query; the 32-odd village names are mapped here."""
    if not village_ids:
        return []
    sql = _MEDIAN_SQL["postgresql" if connection.vendor == "postgresql" else "sqlite"].format(
        key="village_id" if by_village else "name",
        table=connection.ops.quote_name(ApprovalStep._meta.db_table),
        marks=",".join(["%s"] * len(village_ids)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [StepStatus.DONE, start, end, *village_ids])
        rows = cursor.fetchall()
    figures = [
        StepFigure(
            label=names.get(label, str(label)) if by_village else str(label),
            decided=int(n),
            on_time=int(on_time or 0),
            median=_as_duration(d),
        )
        for label, n, on_time, d in rows
    ]
    return sorted(figures, key=lambda f: f.label)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone),
    )


def dashboard_build(
    *, villages: QuerySet[Village], start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> Dashboard:
    moment = now or timezone.now()
    since, until = _bounds(start, end)
    names = dict(villages.values_list("pk", "name"))
    village_ids = list(names)
    board = Dashboard(start=start, end=end)
    done = SealRequest.objects.filter(
        village_id__in=village_ids,
        status=RequestStatus.COMPLETED,
        completed_at__gte=since,
        completed_at__lt=until,
    )
    for row in (
        done.annotate(month=TruncMonth("completed_at"))
        .values("village_id", "month")
        .annotate(uses=Count("pk"), stamps=Sum("stamp_count"))
        .order_by("month", "village_id")
    ):
        month = row["month"].strftime("%Y-%m")
        board.uses.append(
            {
                "village": names.get(row["village_id"], ""),
                "month": month,
                "uses": row["uses"],
                "stamps": row["stamps"] or 0,
            }
        )
        if month not in board.months:
            board.months.append(month)
    totals: dict[str, int] = {}
    for u in board.uses:
        totals[u["village"]] = totals.get(u["village"], 0) + u["uses"]
    board.uses_by_village = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    board.steps = _step_figures(
        village_ids=village_ids, names=names, start=since, end=until, by_village=False
    )
    board.step_villages = _step_figures(
        village_ids=village_ids, names=names, start=since, end=until, by_village=True
    )
    board.overdue = [
        (row["village__name"], row["n"])
        for row in ApprovalStep.objects.filter(
            village_id__in=village_ids, status=StepStatus.ACTIVE, deadline__lt=moment
        )
        .values("village__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "village__name")
    ]
    board.warnings = list(
        Warning.objects.filter(
            village_id__in=village_ids, raised_at__gte=since, raised_at__lt=until
        )
        .values("rule__name", "state")
        .annotate(n=Count("pk"))
        .order_by("rule__name", "state")
    )
    board.matters = [
        (row["matter__name"], row["n"])
        for row in SealRequest.objects.filter(
            village_id__in=village_ids, submitted_at__gte=since, submitted_at__lt=until
        )
        .values("matter__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "matter__name")[:10]
    ]
    board.refusals = sorted(
        (
            (names.get(int(row["target_id"]), row["target_id"]), row["n"])
            for row in AuditEvent.objects.filter(
                Q(target_id__in=[str(pk) for pk in village_ids]),
                action="negative_list.refuse",
                target_type="orgs.village",
                created_at__gte=since,
                created_at__lt=until,
            )
            .values("target_id")
            .annotate(n=Count("pk"))
        ),
        key=lambda item: (-item[1], str(item[0])),
    )
    return board
