"""Places, people and the grants that say who may do what where.

The tree is District → Village → VillageGroup, with a village's Collective beside it and
the district's Bureaus. Places are never deleted: retiring sets `retired_at`, so old
requests, seals and log entries keep pointing at the place they were made for.

Authorization is data: a `RoleGrant(person, role, scope)` holds one role in one scope (a
district, a village, a group or a bureau). Every read in the app goes through selectors
that turn a person's active grants into querysets.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhiyin.lib.idcard import id_number_mask, phone_mask


class Place(models.Model):
    """Common shape of every organizational unit: a name, and a retirement date."""

    name = models.CharField(_("名称"), max_length=100)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class District(Place):
    """A district (区): owns the catalog, the CA, the bureaus and its villages."""

    code = models.CharField(_("行政区划代码"), max_length=12, unique=True)

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        ordering: ClassVar = ["code"]


class Village(Place):
    """A village (村) or urban community (社区): holds the seals and the custodians."""

    class Kind(models.TextChoices):
        VILLAGE = "village", _("村")
        COMMUNITY = "community", _("社区")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="villages")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.VILLAGE)
    code = models.CharField(_("代码"), max_length=20, unique=True)
    office_phone = models.CharField(
        _("村委会电话"),
        max_length=20,
        blank=True,
        help_text=_("村民遇到问题时拨打的电话，出错页面会显示它。"),
    )

    class Meta:
        verbose_name = _("村（社区）")
        verbose_name_plural = _("村（社区）")
        ordering: ClassVar = ["code"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["district", "name"], name="village_unique_name"),
        ]

    @property
    def committee_name(self) -> str:
        """The name a seal of this village carries: 水南村村民委员会 / 东关社区居民委员会."""
        suffix = "居民委员会" if self.kind == self.Kind.COMMUNITY else "村民委员会"
        return f"{self.name}{suffix}"


class VillageGroup(Place):
    """A villagers' group (村民小组) inside a village."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="groups")
    number = models.PositiveSmallIntegerField(_("组号"))

    class Meta:
        verbose_name = _("村民小组")
        verbose_name_plural = _("村民小组")
        ordering: ClassVar = ["village", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["village", "number"], name="group_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.village.name}{self.name}"


class Collective(Place):
    """The village's collective economic organization (村集体经济组织, 经联社); may own seals."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="collectives")
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)

    class Meta:
        verbose_name = _("集体经济组织")
        verbose_name_plural = _("集体经济组织")
        ordering: ClassVar = ["village", "name"]


class Bureau(Place):
    """A district office (职能部门) that receives sealed documents, e.g. 区农业农村局."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="bureaus")

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering: ClassVar = ["district", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["district", "name"], name="bureau_unique_name"),
        ]


class PersonManager(UserManager["Person"]):
    pass


class Person(AbstractUser):
    """Everyone who logs in: residents, village staff, inspectors, bureau officers, admins.

    ID-card and social-security numbers are kept only for residents (the services that
    need them prefill forms from them) and are shown masked everywhere except a logged
    full view.
    """

    first_name = None  # type: ignore[assignment]  # Chinese names are one field: real_name
    last_name = None  # type: ignore[assignment]  # see first_name
    real_name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=11, unique=True, null=True, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True, null=True, blank=True)
    social_security_number = models.CharField(_("社会保障卡号"), max_length=20, blank=True)
    home_village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("户籍村（社区）"),
    )
    home_group = models.ForeignKey(
        VillageGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("村民小组"),
    )

    objects: ClassVar[PersonManager] = PersonManager()

    REQUIRED_FIELDS: ClassVar[list[str]] = ["real_name"]

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering: ClassVar = ["username"]

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        """The name the log and notices show (`zhiyin.core.actors.Actor`)."""
        return self.real_name or self.username

    def get_full_name(self) -> str:
        return self.real_name

    def get_short_name(self) -> str:
        return self.real_name

    @property
    def id_number_masked(self) -> str:
        return id_number_mask(self.id_number) if self.id_number else ""

    @property
    def phone_masked(self) -> str:
        """The phone as lists show it (个人信息保护法): `138****5678`."""
        return phone_mask(self.phone) if self.phone else ""


class Role(models.TextChoices):
    """The roles of the glossary; each is held in a scope of a given level."""

    RESIDENT = "resident", _("村民")
    CLERK = "clerk", _("经办人")
    GROUP_LEADER = "group_leader", _("村民小组长")
    SECRETARY = "secretary", _("支部书记/村委会主任")
    CUSTODIAN = "custodian", _("印章管理员")
    INSPECTOR = "inspector", _("纪检监察")
    ADMIN = "admin", _("系统管理员")
    BUREAU_OFFICER = "bureau_officer", _("职能部门经办人")
    #: 三员分立: the security administrator manages grants, second-factor resets and
    #: lockouts, and reads no documents; the audit administrator reads the log and
    #: changes nothing. The system administrator (ADMIN) configures places and the catalog.
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("安全审计员")


class ScopeLevel(models.TextChoices):
    DISTRICT = "district", _("区")
    VILLAGE = "village", _("村")
    GROUP = "group", _("村民小组")
    BUREAU = "bureau", _("职能部门")


#: Which scope levels each role may be held at.
ROLE_SCOPE_LEVELS: dict[str, frozenset[str]] = {
    Role.RESIDENT: frozenset({ScopeLevel.VILLAGE, ScopeLevel.GROUP}),
    Role.CLERK: frozenset({ScopeLevel.VILLAGE}),
    Role.GROUP_LEADER: frozenset({ScopeLevel.GROUP}),
    Role.SECRETARY: frozenset({ScopeLevel.VILLAGE}),
    Role.CUSTODIAN: frozenset({ScopeLevel.VILLAGE}),
    Role.INSPECTOR: frozenset({ScopeLevel.DISTRICT, ScopeLevel.VILLAGE}),
    Role.ADMIN: frozenset({ScopeLevel.DISTRICT, ScopeLevel.VILLAGE}),
    Role.BUREAU_OFFICER: frozenset({ScopeLevel.BUREAU}),
    Role.SECURITY_ADMIN: frozenset({ScopeLevel.DISTRICT}),
    Role.AUDIT_ADMIN: frozenset({ScopeLevel.DISTRICT}),
}


class RoleGrantQuerySet(models.QuerySet["RoleGrant"]):
    def active(self) -> RoleGrantQuerySet:
        return self.filter(revoked_at__isnull=True)


class RoleGrant(models.Model):
    """One role held by one person in one scope.

    The scope is the most specific place set: a group grant also names its village and
    district, a village grant its district, so "everything in village V" is one filter.
    Grants are revoked, never deleted, so who could do what on a given day stays known.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="grants")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="rolegrant_scoped"
    )
    group = models.ForeignKey(
        VillageGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bureau = models.ForeignKey(
        Bureau, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        ordering: ClassVar = ["person", "role"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(group__isnull=True) | Q(village__isnull=False),
                name="grant_group_implies_village",
            ),
            models.CheckConstraint(
                condition=Q(bureau__isnull=True) | Q(village__isnull=True),
                name="grant_bureau_or_village",
            ),
            models.UniqueConstraint(
                fields=["person", "role", "district", "village", "group", "bureau"],
                condition=Q(revoked_at__isnull=True),
                name="grant_unique_active",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["village", "role"], name="grant_village_role")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.scope_name}"

    @property
    def scope_level(self) -> str:
        if self.bureau_id:
            return ScopeLevel.BUREAU
        if self.group_id:
            return ScopeLevel.GROUP
        if self.village_id:
            return ScopeLevel.VILLAGE
        return ScopeLevel.DISTRICT

    @property
    def scope_name(self) -> str:
        scope = self.bureau or self.group or self.village or self.district
        return str(scope)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiToken(models.Model):
    """A bearer token an integration uses to call the JSON API as one person.

    Only the SHA-256 of the token is stored; the token itself is shown once at creation.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering: ClassVar = ["person", "name"]

    def __str__(self) -> str:
        return self.name
