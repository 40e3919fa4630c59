"""The seals section of the village page.

The page belongs to `orgs`, which imports no app above it; it pulls its seals section in
through this tag, so the arrow points from `seals` to `orgs` only.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import QuerySet

from zhiyin.orgs.auth import request_access
from zhiyin.orgs.models import Village
from zhiyin.seals.models import Seal
from zhiyin.seals.selectors import seals_of_village

register = template.Library()


@register.simple_tag(takes_context=True)
def seals_of(context: dict[str, Any], village: Village) -> QuerySet[Seal]:
    """The seals of `village` the requesting person may see."""
    return seals_of_village(access=request_access(context["request"]), village=village)
