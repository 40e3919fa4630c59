"""Login-failure handling for staff (等保 2.0 §8.1.4.1 b): after `LOGIN_FAILURE_LIMIT`
wrong passwords an account is locked, and after `LOGIN_ADDRESS_FAILURE_LIMIT` failures
from one address (for any accounts) that address is, until the cool-off passes or an
admin unlocks it. The two limits are separate because a village office signs in from one
address: five typos there must not lock the whole office out. django-axes counts the
failures (in the database, so every app server sees the same count); this module names
the account the same way whichever login the person typed (phone or login name), applies
the two limits, records each lockout and unlock in the audit log, and lets the security administrator
see and clear the lockouts of their district's people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record, audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person, RoleGrant
from zhiyin.orgs.selectors import Access, security_district_ids


def login_name_canonical(request: HttpRequest | None, credentials: dict[str, Any]) -> str:
    """The account a login attempt is for: its login name, whether the person typed
    that or their phone number (so switching between the two gains no extra tries).
    A name that matches no account is counted as typed."""
    typed = str((credentials or {}).get("username") or "").strip()[:150]
    if not typed:
        return ""
    person = Person.objects.filter(Q(username=typed) | Q(phone=typed)).only("username").first()
    return person.username if person is not None else typed


def client_address(request: HttpRequest) -> str:
    """The address a request came from. Behind the HTTPS proxy (SECURE_BEHIND_HTTPS) it is
    the last X-Forwarded-For entry, the one the proxy itself added; a client cannot
    choose it, so rotating a forged header gains no extra tries."""
    if settings.SECURE_BEHIND_HTTPS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[-1].strip())
    return str(request.META.get("REMOTE_ADDR", ""))


def _recent_attempts() -> Any:
    return AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )


def failures_of(*, login: str | None, address: str | None) -> tuple[int, int]:
    """Recent failures (within the cool-off) for the account and for the address."""
    recent = _recent_attempts()
    by_login = (
        recent.filter(username=login).aggregate(n=Sum("failures_since_start"))["n"] or 0
        if login
        else 0
    )
    by_address = (
        recent.filter(ip_address=address).aggregate(n=Sum("failures_since_start"))["n"] or 0
        if address
        else 0
    )
    return by_login, by_address


class AccountAndAddressHandler(AxesDatabaseHandler):
    """django-axes' database handler with one limit per account and another per address.
    Axes compares one failure count with `AXES_FAILURE_LIMIT`; this count is the
    account's, or the limit itself once the address has reached its own limit."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        login = get_client_username(request, credentials)
        address = getattr(request, "axes_ip_address", None) or client_address(request)
        by_login, by_address = failures_of(login=login, address=address)
        if by_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_login, settings.AXES_FAILURE_LIMIT)
        return int(by_login)


def lockout_audit(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **kw: Any
) -> None:
    """Signal receiver: a lockout is an audit event (who, from where)."""
    audit_record_standalone(
        actor=None,
        action="person.locked_out",
        target_label=(username or ip_address or "")[:200],
        after={"login": username or "", "address": ip_address or ""},
    )


@dataclass(frozen=True)
class Lockout:
    """One locked account (`kind` "login") or address (`kind` "address")."""

    kind: str
    value: str
    failures: int
    last_at: Any
    person: Person | None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


def _people_in_districts(district_ids: set[int]) -> Q:
    return Q(home_village__district_id__in=district_ids) | Q(
        pk__in=RoleGrant.objects.filter(
            district_id__in=district_ids, revoked_at__isnull=True
        ).values("person_id")
    )


def lockouts_for(*, access: Access) -> list[Lockout]:
    """Locked accounts and addresses a security admin may clear: accounts of people of
    their districts, names that match no account, and addresses. django-axes keeps one
    row per (login, address); an account is locked when its rows add up to the limit
    within the cool-off, and so is an address."""
    districts = security_district_ids(access=access)
    if not districts:
        return []
    recent = _recent_attempts()
    by_login = (
        recent.exclude(username__isnull=True)
        .exclude(username="")
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last_at=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    by_address = (
        recent.exclude(ip_address__isnull=True)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last_at=Max("attempt_time"))
        .filter(failures__gte=settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    )
    logins = {row["username"] for row in by_login}
    known = {p.username: p for p in Person.objects.filter(username__in=logins)}
    mine = set(
        Person.objects.filter(_people_in_districts(districts), username__in=logins)
        .values_list("username", flat=True)
        .distinct()
    )
    found = [
        Lockout(
            "login", row["username"], row["failures"], row["last_at"], known.get(row["username"])
        )
        for row in by_login
        if row["username"] not in known or row["username"] in mine
    ]
    found += [
        Lockout("address", row["ip_address"], row["failures"], row["last_at"], None)
        for row in by_address
    ]
    return sorted(found, key=lambda lock: lock.last_at, reverse=True)


@transaction.atomic
def lockout_clear(*, access: Access, by: Person, key: str) -> Lockout:
    """Unlock one locked account or address (and forget its failures)."""
    found = next((lock for lock in lockouts_for(access=access) if lock.key == key), None)
    if found is None:
        raise RuleViolation(_("没有找到该锁定记录，或您无权解除。"))
    if found.kind == "login":
        AccessAttempt.objects.filter(username=found.value).delete()
    else:
        AccessAttempt.objects.filter(ip_address=found.value).delete()
    audit_record(
        actor=by,
        action="person.unlocked",
        target=found.person,
        target_label=found.value[:200],
        after={found.kind: found.value},
    )
    return found
