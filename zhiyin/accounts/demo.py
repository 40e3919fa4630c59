"""Demo: every privileged demo account gets an authenticator with the one known demo key,
so `make run` logins work: add the key to any authenticator app, or print the current
code with `python manage.py demo_code`."""

from __future__ import annotations

import base64

from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiyin.accounts.testing import KNOWN_KEY
from zhiyin.accounts.twofactor import PRIVILEGED_ROLES, TOTP_NAME
from zhiyin.orgs.models import District, Person


def demo_key_base32() -> str:
    return base64.b32encode(bytes.fromhex(KNOWN_KEY)).decode().rstrip("=")


def accounts_demo_load(district: District) -> str:
    people = Person.objects.filter(
        grants__district=district, grants__role__in=PRIVILEGED_ROLES, grants__revoked_at=None
    ).distinct()
    have = set(TOTPDevice.objects.filter(user__in=people).values_list("user_id", flat=True))
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=p, name=TOTP_NAME, key=KNOWN_KEY, confirmed=True, tolerance=1)
        for p in people
        if p.pk not in have
    )
    return (
        f"审批、印章管理、监督和管理岗位登录需两步验证：验证器密钥 {demo_key_base32()}，"
        "或运行 python manage.py demo_code 显示当前验证码 / privileged demo logins need a "
        "second factor: add that key to an authenticator app, or run manage.py demo_code"
    )
