"""The security and audit administrators' reads (三员分立): the privileged staff of their
districts with the state of their second factors, and the sign-in security events of
those people. Neither reads any document; the audit administrator changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.models import WebAuthnCredential

from zhiyin.accounts.twofactor import PRIVILEGED_ROLES, has_second_factor
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Person, RoleGrant
from zhiyin.orgs.selectors import Access, audit_district_ids, security_district_ids

#: The actions the audit administrator's sign-in log shows, with their names.
SECURITY_ACTIONS = {
    "person.login": _("登录"),
    "person.login_failed": _("登录失败"),
    "person.locked_out": _("登录被锁定"),
    "person.unlocked": _("解除登录锁定"),
    "person.password_change": _("修改密码"),
    "person.second_factor_enrolled": _("绑定身份验证器"),
    "person.second_factor_passed": _("通过两步验证"),
    "person.second_factor_failed": _("两步验证失败"),
    "person.second_factor_reset": _("重置两步验证"),
    "person.recovery_codes_regenerated": _("重新生成恢复码"),
    "person.security_key_registered": _("登记安全密钥"),
    "person.security_key_removed": _("移除安全密钥"),
    "person.session_ended": _("登录会话结束"),
    "person.create": _("新增人员"),
    "person.update": _("修改人员信息"),
    "role_grant.create": _("授予角色"),
    "role_grant.revoke": _("撤销角色"),
    "access.denied": _("越权访问被拒绝"),
}


def _people_of(district_ids: set[int]) -> QuerySet[Person]:
    return Person.objects.filter(
        Q(home_village__district_id__in=district_ids)
        | Q(
            pk__in=RoleGrant.objects.filter(
                district_id__in=district_ids, revoked_at__isnull=True
            ).values("person_id")
        )
    ).distinct()


@dataclass(frozen=True)
class StaffFactors:
    person: Person
    roles: list[str]
    has_totp: bool
    keys: int = 0  # security keys (WebAuthn)


def privileged_staff_for(*, access: Access) -> list[StaffFactors]:
    """Privileged staff of the security admin's districts, with their second factors."""
    districts = security_district_ids(access=access)
    if not districts:
        return []
    grants = (
        RoleGrant.objects.active()
        .filter(district_id__in=districts, role__in=PRIVILEGED_ROLES)
        .select_related("person")
        .order_by("person__username")
    )
    people: dict[int, StaffFactors] = {}
    for grant in grants:
        entry = people.get(grant.person_id)
        label = str(grant.get_role_display())
        if entry is None:
            people[grant.person_id] = StaffFactors(
                grant.person, [label], has_second_factor(grant.person)
            )
        elif label not in entry.roles:
            entry.roles.append(label)
    counts = dict(
        WebAuthnCredential.objects.filter(user_id__in=list(people), confirmed=True)
        .values_list("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    return [replace(entry, keys=counts.get(pk, 0)) for pk, entry in people.items()]


def staff_get_for_reset(*, access: Access, pk: int) -> Person:
    """A privileged person of the security admin's districts (never the admin themself)."""
    if pk == access.person_id:
        raise Http404
    for entry in privileged_staff_for(access=access):
        if entry.person.pk == pk:
            return entry.person
    raise Http404


@dataclass(frozen=True)
class SecurityLogFilter:
    """What the audit admin narrowed the log to; empty fields narrow nothing."""

    action: str = ""
    person: str = ""  # login name, name or phone, exact
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive


def security_events_for(
    *, access: Access, narrow: SecurityLogFilter | None = None
) -> QuerySet[AuditEvent]:
    """Sign-in security events (logins, failures, lockouts, second factors, grants,
    refusals) done by or to people of the audit admin's districts, newest first;
    `narrow` keeps one kind of event, one person (as actor or target) and a date range
    (days in the installation's time zone)."""
    districts = audit_district_ids(access=access)
    if not districts:
        return AuditEvent.objects.none()
    narrow = narrow or SecurityLogFilter()
    people = _people_of(districts)
    if narrow.person:
        people = people.filter(
            Q(username=narrow.person) | Q(real_name=narrow.person) | Q(phone=narrow.person)
        )
    as_text = people.annotate(text_id=Cast("pk", CharField())).values("text_id")
    actions = [narrow.action] if narrow.action in SECURITY_ACTIONS else list(SECURITY_ACTIONS)
    events = AuditEvent.objects.filter(action__in=actions).filter(
        Q(actor_id__in=people.values("pk"))
        | Q(target_type="orgs.person", target_id__in=as_text)
        | Q(actor_id__isnull=True, target_label__in=people.values("username"))
    )
    zone = timezone.get_current_timezone()
    if narrow.start is not None:
        events = events.filter(
            created_at__gte=dt.datetime.combine(narrow.start, dt.time.min, tzinfo=zone)
        )
    if narrow.end is not None:
        after_end = narrow.end + dt.timedelta(days=1)
        events = events.filter(
            created_at__lt=dt.datetime.combine(after_end, dt.time.min, tzinfo=zone)
        )
    return events.order_by("-created_at", "-seq")
