"""Every read of places and people, scoped to what the asking person's grants cover.

`Access` is computed once per request from the person's active grants; selectors turn it
into querysets. Out-of-scope objects raise `Http404` rather than 403, so nobody learns
that a record exists in a village they cannot see.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from zhiyin.orgs.models import Bureau, District, Person, Role, RoleGrant, Village, VillageGroup

#: Roles that see a whole village (its groups, officials, residents, seals).
VILLAGE_WIDE_ROLES = frozenset(
    {Role.CLERK, Role.SECRETARY, Role.CUSTODIAN, Role.INSPECTOR, Role.ADMIN}
)


@dataclass(frozen=True)
class Access:
    """What one person may see: the ids of the places their active grants reach."""

    person_id: int | None
    roles: frozenset[str] = frozenset()
    district_ids: frozenset[int] = frozenset()  # district-wide grants (inspector, admin)
    village_ids: frozenset[int] = frozenset()  # village-wide grants
    group_ids: frozenset[int] = frozenset()  # group leaders' groups
    bureau_ids: frozenset[int] = frozenset()
    grants: tuple[RoleGrant, ...] = field(default=())

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def roles_in_village(self, village: Village) -> set[str]:
        return {
            g.role
            for g in self.grants
            if g.village_id == village.pk
            or (
                g.village_id is None
                and g.district_id == village.district_id
                and g.bureau_id is None
            )
        }

    def village_wide(self, village: Village, role: str | None = None) -> bool:
        """True when a grant (optionally of one role) covers all of `village`."""
        for g in self.grants:
            if role is not None and g.role != role:
                continue
            if g.role not in VILLAGE_WIDE_ROLES:
                continue
            if g.village_id == village.pk and g.group_id is None:
                return True
            if (
                g.village_id is None
                and g.bureau_id is None
                and g.district_id == village.district_id
            ):
                return True
        return False

    def administers(self, village: Village) -> bool:
        return self.village_wide(village, Role.ADMIN)

    @property
    def is_district_admin(self) -> bool:
        return any(g.role == Role.ADMIN and g.village_id is None for g in self.grants)

    @property
    def is_security_admin(self) -> bool:
        return Role.SECURITY_ADMIN in self.roles

    @property
    def is_audit_admin(self) -> bool:
        return Role.AUDIT_ADMIN in self.roles


ANONYMOUS = Access(person_id=None)


def access_for(person: Person | None) -> Access:
    """What the person's active grants cover (districts, villages, groups, bureaus), read once;
    anonymous or inactive people get no access."""
    if person is None or not person.is_authenticated or not person.is_active:
        return ANONYMOUS
    grants = tuple(
        RoleGrant.objects.active()
        .filter(person=person)
        .select_related("district", "village", "group__village", "bureau")
    )
    district_ids, village_ids, group_ids, bureau_ids = set(), set(), set(), set()
    for g in grants:
        if g.bureau_id:
            bureau_ids.add(g.bureau_id)
        elif g.role == Role.GROUP_LEADER and g.group_id:
            group_ids.add(g.group_id)
        elif g.role in VILLAGE_WIDE_ROLES and g.village_id:
            village_ids.add(g.village_id)
        elif g.role in VILLAGE_WIDE_ROLES:
            district_ids.add(g.district_id)
    return Access(
        person_id=person.pk,
        roles=frozenset(g.role for g in grants),
        district_ids=frozenset(district_ids),
        village_ids=frozenset(village_ids),
        group_ids=frozenset(group_ids),
        bureau_ids=frozenset(bureau_ids),
        grants=grants,
    )


def _village_filter(access: Access, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}district_id__in": access.district_ids})
        | Q(**{f"{prefix}id__in": access.village_ids})
        | Q(**{f"{prefix}groups__id__in": access.group_ids})
    )


def villages_for(*, access: Access) -> QuerySet[Village]:
    """Villages the person sees: whole ones through village or district grants, and the
    village of a group leader's group."""
    if access.person_id is None:
        return Village.objects.none()
    return Village.objects.filter(_village_filter(access)).distinct().select_related("district")


def village_get_for(*, access: Access, pk: int) -> Village:
    """One village within the person's scope; any other is `Http404`."""
    village = villages_for(access=access).filter(pk=pk).first()
    if village is None:
        raise Http404
    return village


def districts_for(*, access: Access) -> QuerySet[District]:
    """The districts of the person's district-wide grants."""
    return District.objects.filter(pk__in=access.district_ids)


def groups_for(*, access: Access, village: Village) -> QuerySet[VillageGroup]:
    """A village's groups: all of them for a village-wide role there, else only the person's own
    groups."""
    groups = VillageGroup.objects.filter(village=village)
    if access.village_wide(village):
        return groups
    return groups.filter(pk__in=access.group_ids)


def residents_for(*, access: Access, village: Village) -> QuerySet[Person]:
    """Residents of a village: all of them for village-wide roles, a group leader's own
    group otherwise."""
    people = Person.objects.filter(home_village=village).select_related("home_group")
    if access.village_wide(village):
        return people
    return people.filter(home_group_id__in=access.group_ids)


def officials_for(*, access: Access, village: Village) -> QuerySet[RoleGrant]:
    """The village's active staff grants (everything but residents)."""
    if not access.village_wide(village) and not groups_for(access=access, village=village).exists():
        return RoleGrant.objects.none()
    return (
        RoleGrant.objects.active()
        .filter(village=village)
        .exclude(role=Role.RESIDENT)
        .select_related("person", "district", "village", "group__village", "bureau")
        .order_by("role", "group__number", "person__username")
    )


def bureaus_for(*, access: Access) -> QuerySet[Bureau]:
    """Bureaus the person is an officer of, and every bureau of their districts."""
    return Bureau.objects.filter(
        Q(pk__in=access.bureau_ids) | Q(district_id__in=access.district_ids)
    )


def admin_district_ids(*, access: Access) -> set[int]:
    """Districts where the person is a district-wide admin."""
    return {g.district_id for g in access.grants if g.role == Role.ADMIN and g.village_id is None}


def security_district_ids(*, access: Access) -> set[int]:
    """Districts where the person is the security administrator (grants, second-factor
    resets, lockouts)."""
    return {g.district_id for g in access.grants if g.role == Role.SECURITY_ADMIN}


def audit_district_ids(*, access: Access) -> set[int]:
    """Districts where the person is the audit administrator (reads the log)."""
    return {g.district_id for g in access.grants if g.role == Role.AUDIT_ADMIN}


def villages_administered(*, access: Access) -> QuerySet[Village]:
    """Villages an admin manages: every village of their districts, plus their own village."""
    own = {g.village_id for g in access.grants if g.role == Role.ADMIN and g.village_id is not None}
    return Village.objects.filter(
        Q(district_id__in=admin_district_ids(access=access)) | Q(pk__in=own)
    )


def district_admins_everywhere() -> QuerySet[Person]:
    """Every active person holding a district-wide admin grant, in any district: who is
    told about installation-wide trouble (settings.WORKER_ALERT_RECIPIENTS)."""
    ids = (
        RoleGrant.objects.active()
        .filter(role=Role.ADMIN, village__isnull=True, bureau__isnull=True)
        .values_list("person_id", flat=True)
    )
    return Person.objects.filter(pk__in=ids, is_active=True).order_by("pk")


def district_admins_of(district_id: int) -> list[Person]:
    """The active people holding a district-wide admin grant of `district_id` (not a
    village's or a bureau's admin): who may change its bureaus' endpoints and is told when
    one fails (registered with `delivery.directory`)."""
    ids = (
        RoleGrant.objects.active()
        .filter(role=Role.ADMIN, district_id=district_id, village__isnull=True, bureau__isnull=True)
        .values_list("person_id", flat=True)
    )
    return list(Person.objects.filter(pk__in=ids, is_active=True))


def people_resident_only(person_ids: Collection[int]) -> set[int]:
    """Those of `person_ids` whose only active role is 村民 (delivery's notice defaults use
    it), in one query."""
    roles: dict[int, set[str]] = {}
    grants = RoleGrant.objects.active().filter(person_id__in=list(person_ids))
    for person_id, role in grants.order_by().values_list("person_id", "role"):
        roles.setdefault(person_id, set()).add(role)
    return {person_id for person_id, held in roles.items() if held == {Role.RESIDENT}}
