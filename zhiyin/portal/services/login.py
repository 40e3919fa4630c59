"""Residents' one-time login codes: sent by SMS, stored only as an HMAC, rate-limited,
used once (a conditional update claims the code)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person
from zhiyin.portal.codes import login_code_deliver
from zhiyin.portal.models import (
    LoginCode,
)

CODE_TTL = timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_AFTER = timedelta(seconds=60)
CODES_PER_HOUR = 5


def _code_hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"login-code:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def login_code_send(*, phone: str) -> str | None:
    """Send a six-digit code to `phone`; return it (for the DEBUG notice) or None when no
    active person has that phone — the page says the same either way. Refused when the
    phone asked less than a minute ago or five times within the hour."""
    phone = phone.strip()
    if not phone.isdigit() or len(phone) != 11 or not phone.startswith("1"):
        raise RuleViolation(_("请输入 11 位手机号。"))
    now = timezone.now()
    recent = LoginCode.objects.filter(phone=phone, created_at__gte=now - timedelta(hours=1))
    if recent.filter(created_at__gte=now - CODE_RESEND_AFTER).exists():
        raise RuleViolation(_("验证码已发送，请 1 分钟后再试。"))
    if recent.count() >= CODES_PER_HOUR:
        raise RuleViolation(_("该手机号请求验证码过于频繁，请 1 小时后再试，或用密码登录。"))
    person = Person.objects.filter(phone=phone, is_active=True).first()
    code = f"{secrets.randbelow(1_000_000):06d}"
    LoginCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
    LoginCode.objects.create(
        phone=phone, code_hash=_code_hash(phone, code), expires_at=now + CODE_TTL
    )
    if person is None:
        return None
    transaction.on_commit(lambda: login_code_deliver(phone=phone, code=code))
    return code


def login_code_verify(*, phone: str, code: str) -> Person:
    """The person the code was sent to, or RuleViolation (wrong, expired, too many tries).

    A wrong guess is counted outside any transaction that the refusal would roll back;
    using the code is a conditional update, so one code logs in once."""
    phone, code = phone.strip(), code.strip()
    now = timezone.now()
    login = (
        LoginCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .first()
    )
    if login is None:
        raise RuleViolation(_("验证码已失效，请重新获取。"))
    if login.attempts >= CODE_MAX_ATTEMPTS:
        raise RuleViolation(_("验证码错误次数过多，请重新获取。"))
    if not hmac.compare_digest(login.code_hash, _code_hash(phone, code)):
        LoginCode.objects.filter(pk=login.pk).update(attempts=F("attempts") + 1)
        left = CODE_MAX_ATTEMPTS - login.attempts - 1
        if left <= 0:
            raise RuleViolation(_("验证码错误次数过多，请重新获取。"))
        raise RuleViolation(_("验证码不正确，还可以再试 %(n)d 次。") % {"n": left})
    with transaction.atomic():
        claimed = LoginCode.objects.filter(
            pk=login.pk, used_at__isnull=True, attempts__lt=CODE_MAX_ATTEMPTS
        ).update(used_at=now)
        person = Person.objects.filter(phone=phone, is_active=True).first()
        if not claimed or person is None:
            raise RuleViolation(_("验证码已失效，请重新获取。"))
        audit_record(actor=person, action="person.login", after={"method": "sms_code"})
    return person
