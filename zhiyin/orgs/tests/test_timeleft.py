"""Deadlines read as how much time is left or how late, not as a clock time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zhiyin.orgs.templatetags.timeleft import time_left_text

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=2, minutes=30), "还剩 2 小时"),
        (timedelta(days=3, hours=5), "还剩 3 天"),
        (timedelta(minutes=20), "还剩 20 分钟"),
        (timedelta(seconds=-10), "已超时 1 分钟"),
        (timedelta(hours=-1, minutes=-10), "已超时 1 小时"),
        (timedelta(days=-1, hours=-2), "已超时 1 天"),
    ],
)
def test_it_says_how_much_time_is_left_or_how_late(delta: timedelta, text: str) -> None:
    assert time_left_text(NOW + delta, NOW) == text


def test_it_says_nothing_without_a_deadline() -> None:
    assert time_left_text(None, NOW) == ""
