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


@register.filter
def param_text(value: object) -> str:
    """A rule parameter as a person reads it: lists joined with 、, not Python's repr."""
    if isinstance(value, list | tuple):
        return "、".join(str(item) for item in value)
    return str(value)
