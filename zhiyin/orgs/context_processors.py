"""What the page frame needs to know about the person: which menu entries to show."""

from __future__ import annotations

from django.http import HttpRequest

from zhiyin.orgs.models import Person, Role, RoleGrant


def nav(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, Person):
        return {"nav_roles": frozenset()}
    roles = frozenset(RoleGrant.objects.active().filter(person=user).values_list("role", flat=True))
    return {
        "nav_roles": roles,
        "nav_is_staff": bool(roles - {Role.RESIDENT, Role.BUREAU_OFFICER}),
        "nav_is_resident": Role.RESIDENT in roles,
        "nav_is_officer": Role.BUREAU_OFFICER in roles,
    }
