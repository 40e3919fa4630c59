"""Template filters for readable log entries (`{% load oversight %}`)."""

from __future__ import annotations

from django import template

from zhiyin.oversight.labels import action_name, role_name

register = template.Library()
register.filter("action_name", action_name)
register.filter("role_name", role_name)


@register.filter
def get_item(row: dict[str, str], key: str) -> str:
    return row.get(key, "")
