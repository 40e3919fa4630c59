"""What the page frame needs to know about the person: which menu entries to show."""

from __future__ import annotations

from django.http import HttpRequest

from zhiyin.orgs.auth import request_access
from zhiyin.orgs.models import Role


def nav(request: HttpRequest) -> dict[str, object]:
    """Reuses the request's `Access`, which the view usually computed already."""
    roles = request_access(request).roles
    return {
        "nav_roles": roles,
        "nav_is_staff": bool(roles - {Role.RESIDENT, Role.BUREAU_OFFICER}),
        "nav_is_resident": Role.RESIDENT in roles,
        "nav_is_officer": Role.BUREAU_OFFICER in roles,
    }
