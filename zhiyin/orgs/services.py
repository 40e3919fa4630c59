"""Every write to places, people and grants. Each function is atomic and audited."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.lib.idcard import id_number_is_valid
from zhiyin.orgs.models import (
    ROLE_SCOPE_LEVELS,
    Bureau,
    District,
    Person,
    Place,
    Role,
    RoleGrant,
    Village,
    VillageGroup,
)

PlaceT = TypeVar("PlaceT", bound=Place)


def place_log(place: Place) -> str:
    """The audit log a place's changes go to: its district's."""
    if isinstance(place, District):
        return district_log(place.pk)
    if isinstance(place, Village | Bureau):
        return district_log(place.district_id)
    village = getattr(place, "village", None)  # groups and collectives
    return district_log(village.district_id) if isinstance(village, Village) else ""


def _place_data(place: Place) -> dict[str, Any]:
    return {"name": place.name, "retired_at": place.retired_at}


def place_name_clean(name: str) -> str:
    """The name stripped; refuses an empty one or one over 100 characters."""
    name = name.strip()
    if not name:
        raise RuleViolation(_("名称不能为空。"))
    if len(name) > 100:
        raise RuleViolation(_("名称不能超过100个字。"))
    return name


@transaction.atomic
def place_create(*, place: PlaceT, by: Person | None) -> PlaceT:
    """Save a new place (built but not saved by the caller) and record it."""
    place.name = place_name_clean(place.name)
    if (
        isinstance(place, Village)
        and Village.objects.filter(district=place.district, name=place.name).exists()
    ):
        raise RuleViolation(_("本区已有名为“%(name)s”的村（社区）。") % {"name": place.name})
    place.save()
    audit_record(
        actor=by,
        action=f"{place._meta.model_name}.create",
        target=place,
        after=_place_data(place),
        log=place_log(place),
    )
    return place


@transaction.atomic
def place_rename(*, place: Place, name: str, by: Person | None) -> Place:
    """Rename a district, village, group, collective or bureau; atomic, audited in the place's log."""
    before = _place_data(place)
    place.name = place_name_clean(name)
    place.save(update_fields=["name"])
    audit_record(
        actor=by,
        action=f"{place._meta.model_name}.rename",
        target=place,
        before=before,
        after=_place_data(place),
        log=place_log(place),
    )
    return place


@transaction.atomic
def place_retire(*, place: Place, by: Person | None) -> Place:
    """Retire a place: it stays in the records but takes no new work."""
    if place.retired_at is not None:
        raise RuleViolation(_("“%(name)s”已经撤销。") % {"name": place.name})
    if isinstance(place, Village) and place.groups.filter(retired_at__isnull=True).exists():
        raise RuleViolation(_("请先撤销该村的所有村民小组。"))
    before = _place_data(place)
    place.retired_at = timezone.now()
    place.save(update_fields=["retired_at"])
    audit_record(
        actor=by,
        action=f"{place._meta.model_name}.retire",
        target=place,
        before=before,
        after=_place_data(place),
        log=place_log(place),
    )
    return place


def _person_data(person: Person) -> dict[str, Any]:
    return {
        "username": person.username,
        "real_name": person.real_name,
        "phone": person.phone,
        "id_number": person.id_number_masked,
        "home_village": person.home_village_id,
        "home_group": person.home_group_id,
        "is_active": person.is_active,
    }


def person_fields_check(
    *,
    phone: str | None,
    id_number: str | None,
    home_village: Village | None,
    home_group: VillageGroup | None,
    exclude_pk: int | None = None,
) -> None:
    """Refuse a malformed or taken phone or ID number, or a home group outside the home village;
    writes nothing."""
    others = Person.objects.exclude(pk=exclude_pk) if exclude_pk else Person.objects.all()
    if phone:
        if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
            raise RuleViolation(_("手机号应为以1开头的11位数字。"))
        if others.filter(phone=phone).exists():
            raise RuleViolation(_("该手机号已被其他人使用。"))
    if id_number:
        if not id_number_is_valid(id_number):
            raise RuleViolation(_("身份证号格式或校验位不正确。"))
        if others.filter(id_number=id_number).exists():
            raise RuleViolation(_("该身份证号已登记。"))
    if home_group is not None and home_group.village_id != getattr(home_village, "pk", None):
        raise RuleViolation(_("村民小组不属于所选的村（社区）。"))


@transaction.atomic
def person_create(
    *,
    username: str,
    real_name: str,
    password: str | None,
    by: Person | None,
    phone: str | None = None,
    id_number: str | None = None,
    social_security_number: str = "",
    home_village: Village | None = None,
    home_group: VillageGroup | None = None,
    password_hash: str | None = None,
) -> Person:
    """Register a person. `password_hash` lets bulk loaders reuse one precomputed hash."""
    username = username.strip()
    real_name = real_name.strip()
    if not username or not real_name:
        raise RuleViolation(_("登录名和姓名都必须填写。"))
    if Person.objects.filter(username=username).exists():
        raise RuleViolation(_("登录名“%(username)s”已被使用。") % {"username": username})
    id_number = (id_number or "").upper() or None
    person_fields_check(
        phone=phone, id_number=id_number, home_village=home_village, home_group=home_group
    )
    person = Person(
        username=username,
        real_name=real_name,
        phone=phone or None,
        id_number=id_number,
        social_security_number=social_security_number,
        home_village=home_village,
        home_group=home_group,
    )
    if password_hash is not None:
        person.password = password_hash
    elif password:
        try:
            validate_password(password, person)
        except ValidationError as exc:
            raise RuleViolation(" ".join(exc.messages)) from exc
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.save()
    audit_record(actor=by, action="person.create", target=person, after=_person_data(person))
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    by: Person | None,
    real_name: str,
    phone: str | None,
    home_village: Village | None,
    home_group: VillageGroup | None,
) -> Person:
    """Change a person's name, phone and home after `person_fields_check`; atomic and audited (ID
    number and password are not changed here)."""
    before = _person_data(person)
    person_fields_check(
        phone=phone,
        id_number=None,
        home_village=home_village,
        home_group=home_group,
        exclude_pk=person.pk,
    )
    if not real_name.strip():
        raise RuleViolation(_("姓名不能为空。"))
    person.real_name = real_name.strip()
    person.phone = phone or None
    person.home_village = home_village
    person.home_group = home_group
    person.save()
    audit_record(
        actor=by, action="person.update", target=person, before=before, after=_person_data(person)
    )
    return person


@transaction.atomic
def person_password_change(*, person: Person, old_password: str, new_password: str) -> Person:
    """A person changes their own password: the old one must match and the new one pass the
    validators; audited, never logged in clear."""
    if not person.check_password(old_password):
        raise RuleViolation(_("原密码不正确。"))
    try:
        validate_password(new_password, person)
    except ValidationError as exc:
        raise RuleViolation(" ".join(exc.messages)) from exc
    person.set_password(new_password)
    person.save(update_fields=["password"])
    audit_record(actor=person, action="person.password_change", target=person)
    return person


def _grant_data(grant: RoleGrant) -> dict[str, Any]:
    return {
        "person": grant.person_id,
        "role": grant.role,
        "district": grant.district_id,
        "village": grant.village_id,
        "group": grant.group_id,
        "bureau": grant.bureau_id,
        "revoked_at": grant.revoked_at,
    }


def _active_in_village(village: Village, role: str) -> Any:
    return RoleGrant.objects.active().filter(village=village, group__isnull=True, role=role)


def role_grant_build(
    *,
    person: Person,
    role: str,
    district: District | None = None,
    village: Village | None = None,
    group: VillageGroup | None = None,
    bureau: Bureau | None = None,
) -> RoleGrant:
    """Check that `person` may hold `role` in the scope and return the unsaved grant.

    The two custodians of a village are its only seal holders, and neither may be the
    village's secretary: approving and holding the seal are kept apart (公章变私章).
    Forms call this to show the refusal next to the field; the service calls it again
    inside its transaction.
    """
    if group is not None:
        village = group.village
    if village is not None:
        district = village.district
    if bureau is not None:
        district = bureau.district
    if district is None:
        raise RuleViolation(_("请选择授权范围。"))
    if role not in ROLE_SCOPE_LEVELS:
        raise RuleViolation(_("未知角色。"))
    grant = RoleGrant(
        person=person, role=role, district=district, village=village, group=group, bureau=bureau
    )
    if grant.scope_level not in ROLE_SCOPE_LEVELS[role]:
        raise RuleViolation(_("“%(role)s”不能在这一级授予。") % {"role": Role(role).label})
    for place in (group, village, bureau, district):
        if place is not None and not place.is_active:
            raise RuleViolation(_("“%(name)s”已撤销，不能再授权。") % {"name": place.name})
    if not person.is_active:
        raise RuleViolation(_("该人员账号已停用。"))
    same = RoleGrant.objects.active().filter(
        person=person, role=role, district=district, village=village, group=group, bureau=bureau
    )
    if same.exists():
        raise RuleViolation(_("此人已拥有该授权。"))
    if village is not None and role == Role.CUSTODIAN:
        if _active_in_village(village, Role.SECRETARY).filter(person=person).exists():
            raise RuleViolation(_("村支部书记（主任）不能兼任印章管理员：审批与保管必须分离。"))
        if _active_in_village(village, Role.CUSTODIAN).count() >= 2:
            raise RuleViolation(_("每个村只能有两名印章管理员，请先撤销一名再授权。"))
    if (
        village is not None
        and role == Role.SECRETARY
        and _active_in_village(village, Role.CUSTODIAN).filter(person=person).exists()
    ):
        raise RuleViolation(_("印章管理员不能兼任村支部书记（主任）：审批与保管必须分离。"))
    return grant


@transaction.atomic
def role_grant_create(
    *,
    person: Person,
    role: str,
    by: Person | None,
    district: District | None = None,
    village: Village | None = None,
    group: VillageGroup | None = None,
    bureau: Bureau | None = None,
) -> RoleGrant:
    """Give `person` a role in a scope. Custodian grants of a village are serialized on
    the village row, so two admins cannot both add a "second" custodian at once."""
    if village is not None or group is not None:
        village_pk = village.pk if village is not None else group.village_id  # type: ignore[union-attr]  # one is set
        Village.objects.select_for_update().filter(pk=village_pk).first()
    grant = role_grant_build(
        person=person, role=role, district=district, village=village, group=group, bureau=bureau
    )
    grant.save()
    audit_record(
        actor=by,
        action="role_grant.create",
        target=grant,
        after=_grant_data(grant),
        log=district_log(grant.district_id),
    )
    return grant


@transaction.atomic
def role_grant_revoke(*, grant: RoleGrant, by: Person | None) -> RoleGrant:
    """End a grant (kept, with its end time, for the record); the row is locked, revoking twice is
    refused; audited."""
    grant = RoleGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise RuleViolation(_("该授权已经撤销。"))
    before = _grant_data(grant)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit_record(
        actor=by,
        action="role_grant.revoke",
        target=grant,
        before=before,
        after=_grant_data(grant),
        log=district_log(grant.district_id),
    )
    return grant


@transaction.atomic
def custodian_replace(
    *, village: Village, old: Person, new: Person, by: Person | None
) -> RoleGrant:
    """Hand one custodian's post to another person in one step, so the village never
    has fewer than two seal holders in between."""
    grant = _active_in_village(village, Role.CUSTODIAN).filter(person=old).first()
    if grant is None:
        raise RuleViolation(_("%(name)s 不是该村的印章管理员。") % {"name": old.real_name})
    role_grant_revoke(grant=grant, by=by)
    return role_grant_create(person=new, role=Role.CUSTODIAN, village=village, by=by)


def village_custodian_count(village: Village) -> int:
    """How many active village-wide custodian grants the village has (joint seals need two)."""
    return int(_active_in_village(village, Role.CUSTODIAN).count())
