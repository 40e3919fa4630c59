"""Two-factor sign-in for privileged staff (等保 2.0 §8.1.4.1 d: two factors, one of them
cryptographic).

Approvers (group leaders, secretaries), custodians, inspectors and admins must confirm
each sign-in with a second factor: a TOTP authenticator app (RFC 6238), or one of ten
single-use recovery codes printed at enrolment. django-otp keeps the devices, throttles
wrong codes per device, and marks the session verified; `SecondFactorMiddleware` sends a
privileged person who has not verified to enrolment (no device yet) or to the code page.

Sealing and authorizing a terminal also need a *fresh* second factor: one entered within
`STEP_UP_SECONDS` (default 5 minutes), whatever the age of the session
(`second_factor_fresh`, and the `fresh_second_factor_required` decorator in
`zhiyin.accounts.decorators`).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from zhiyin.audit.services import audit_record, audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person, Role
from zhiyin.orgs.selectors import Access

#: Roles whose holders must sign in with a second factor.
PRIVILEGED_ROLES = (
    Role.GROUP_LEADER,
    Role.SECRETARY,
    Role.CUSTODIAN,
    Role.INSPECTOR,
    Role.ADMIN,
    Role.SECURITY_ADMIN,
    Role.AUDIT_ADMIN,
)
#: Session key: when (UNIX seconds) this session last passed a second factor.
VERIFIED_AT_SESSION_KEY = "zhiyin_second_factor_at"
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"
RECOVERY_CODES = 10


def second_factor_required(access: Access) -> bool:
    """True when the person holds any role that signs in with two factors."""
    return any(access.has_role(role) for role in PRIVILEGED_ROLES)


def totp_device_of(person: Person) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    return device


def has_second_factor(person: Person) -> bool:
    return totp_device_of(person) is not None


def second_factor_fresh(request: HttpRequest, *, within: int | None = None) -> bool:
    """This session passed a second factor within `within` seconds (STEP_UP_SECONDS)."""
    limit = settings.STEP_UP_SECONDS if within is None else within
    at = request.session.get(VERIFIED_AT_SESSION_KEY)
    return isinstance(at, int | float) and time.time() - float(at) <= limit


def _mark_verified(request: HttpRequest, device: Any) -> None:
    otp_login(request, device)  # type: ignore[no-untyped-call]  # django-otp is untyped
    request.session[VERIFIED_AT_SESSION_KEY] = int(time.time())


@transaction.atomic
def totp_enrolment_start(*, person: Person) -> TOTPDevice:
    """An unconfirmed authenticator for `person` (a new key each time enrolment starts)."""
    TOTPDevice.objects.filter(user=person, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(
        user=person, name=TOTP_NAME, confirmed=False, tolerance=1
    )
    return device


@transaction.atomic
def totp_enrolment_confirm(
    *, request: HttpRequest, person: Person, device: TOTPDevice, token: str
) -> list[str]:
    """The person typed a code from the new authenticator: the device is confirmed, any
    older factor removed, ten recovery codes made (returned once, stored hashed by
    django-otp's static tokens), and the session counts as verified."""
    if device.user_id != person.pk or device.confirmed:
        raise RuleViolation(_("请重新开始绑定验证器。"))
    if not device.verify_token(_digits(token)):  # type: ignore[no-untyped-call]  # django-otp is untyped
        raise RuleViolation(_("验证码不正确或已过期，请输入验证器上当前显示的6位数字。"))
    TOTPDevice.objects.filter(user=person).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_replace(person)
    _mark_verified(request, device)
    audit_record(actor=person, action="person.second_factor_enrolled", target=person)
    return codes


def _recovery_codes_replace(person: Person) -> list[str]:
    StaticDevice.objects.filter(user=person).delete()
    device = StaticDevice.objects.create(user=person, name=RECOVERY_NAME, confirmed=True)
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _digits(token: str) -> str:
    return "".join(ch for ch in token if ch.isdigit())[:8]


def second_factor_verify(*, request: HttpRequest, person: Person, token: str) -> None:
    """Check a code from the authenticator (6 digits) or a recovery code (8 digits, used
    once); on success the session is verified and fresh. Failures are audited; django-otp
    slows repeated failures down per device."""
    code = _digits(token)
    device: Any = None
    totp = totp_device_of(person)
    if totp is not None and not totp.verify_is_allowed()[0]:  # type: ignore[no-untyped-call]  # django-otp is untyped
        raise RuleViolation(_("验证码输错次数较多，请稍等几秒再试。"))
    if len(code) == 6:
        if totp is not None and totp.verify_token(code):  # type: ignore[no-untyped-call]  # django-otp is untyped
            device = totp
    elif len(code) == 8:
        for static in StaticDevice.objects.filter(user=person, confirmed=True):
            if static.verify_is_allowed()[0] and static.verify_token(code):
                device = static
                break
    if device is None:
        # Recorded on its own: the refusal below must not roll the record back.
        audit_record_standalone(actor=person, action="person.second_factor_failed", target=person)
        raise RuleViolation(
            _("验证码不正确或已过期。请输入验证器上当前的6位数字，或一个8位恢复码。")
        )
    _mark_verified(request, device)
    audit_record_standalone(
        actor=person,
        action="person.second_factor_passed",
        target=person,
        after={"method": "recovery_code" if isinstance(device, StaticDevice) else "totp"},
    )


@transaction.atomic
def second_factor_reset(*, person: Person, by: Person, reason: str) -> None:
    """Remove a person's factors (lost phone or key: the authenticator, recovery codes and
    security keys): they enrol again at their next sign-in. Done by a security
    administrator, with the reason, never on themself."""
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("请填写重置原因（例如：手机丢失，已电话核实本人）。"))
    if person.pk == by.pk:
        raise RuleViolation(_("不能重置自己的两步验证，请由另一位安全管理员办理。"))
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()
    WebAuthnCredential.objects.filter(user=person).delete()
    audit_record(
        actor=by, action="person.second_factor_reset", target=person, after={"reason": reason[:200]}
    )


def recovery_codes_left(person: Person) -> int:
    """How many unused recovery codes the person has."""
    return StaticToken.objects.filter(device__user=person, device__confirmed=True).count()


@transaction.atomic
def recovery_codes_regenerate(*, person: Person) -> list[str]:
    """Ten new recovery codes (shown once); the old ones stop working. Needs a second
    factor the person already has: a password alone must not mint codes."""
    if not has_second_factor(person):
        raise RuleViolation(_("请先绑定身份验证器。"))
    codes = _recovery_codes_replace(person)
    audit_record(actor=person, action="person.recovery_codes_regenerated", target=person)
    return codes
