"""`{{ step.deadline|time_left }}` → "还剩 2 小时" / "已超时 1 天": how late, not a clock time.

Whole units, rounded down (1 h 50 min left is "还剩 1 小时"; 1 h 10 min late is "已超时
1 小时"), so a person reads the size of the problem at a glance. The exact deadline stays in a title for whoever needs it.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import ngettext

register = template.Library()

MINUTE, HOUR, DAY = 60, 3600, 86400


def time_left_text(deadline: datetime | None, now: datetime | None = None) -> str:
    if deadline is None:
        return ""
    seconds = (deadline - (now or timezone.now())).total_seconds()
    late = seconds < 0
    span = abs(seconds)
    if span >= DAY:
        n = int(span // DAY)
        text = (
            ngettext("已超时 %(n)d 天", "已超时 %(n)d 天", n)
            if late
            else ngettext("还剩 %(n)d 天", "还剩 %(n)d 天", n)
        )
    elif span >= HOUR:
        n = int(span // HOUR)
        text = (
            ngettext("已超时 %(n)d 小时", "已超时 %(n)d 小时", n)
            if late
            else ngettext("还剩 %(n)d 小时", "还剩 %(n)d 小时", n)
        )
    else:
        n = max(1, int(span // MINUTE))
        text = (
            ngettext("已超时 %(n)d 分钟", "已超时 %(n)d 分钟", n)
            if late
            else ngettext("还剩 %(n)d 分钟", "还剩 %(n)d 分钟", n)
        )
    return text % {"n": n}


@register.filter
def time_left(deadline: datetime | None) -> str:
    return time_left_text(deadline)


@register.filter
def is_late(deadline: datetime | None) -> bool:
    return deadline is not None and deadline < timezone.now()
