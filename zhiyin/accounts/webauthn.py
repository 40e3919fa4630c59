"""Security keys and platform authenticators (WebAuthn) as a second factor beside the
authenticator app, through django-otp-webauthn.

A person registers a key from their account security page once they have an
authenticator app (so they also hold recovery codes) and have just passed a second
factor. At sign-in and at step-up before sealing, the code page offers the key beside
the 6-digit code; a key that answers marks the session verified and fresh exactly as a
code does (`twofactor._mark_verified`), and each use is audited like a code's.

The library keeps the credentials (public key, sign count) and checks the browser's
signed answer against the challenge, the relying-party ID (`OTP_WEBAUTHN_RP_ID`) and the
allowed origins (`OTP_WEBAUTHN_ALLOWED_ORIGINS`); see the settings.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp_webauthn.models import WebAuthnCredential

from zhiyin.accounts.twofactor import _mark_verified
from zhiyin.audit.services import audit_record, audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person

#: Most keys one person may hold (a main key and spares).
MAX_KEYS = 5


def security_keys_of(person: Person) -> QuerySet[WebAuthnCredential]:
    """The person's registered security keys (confirmed ones), oldest first."""
    return WebAuthnCredential.objects.filter(user=person, confirmed=True).order_by("created_at")


def has_security_key(person: Person) -> bool:
    """True when the person has at least one usable security key."""
    return security_keys_of(person).exists()


def security_key_registered(*, person: Person, credential: Any) -> None:
    """Audit a key the library has just stored for `person` (after its checks passed)."""
    audit_record_standalone(
        actor=person,
        action="person.security_key_registered",
        target=person,
        after={"key": credential.pk, "aaguid": str(credential.aaguid or "")[:64]},
    )


@transaction.atomic
def security_key_remove(*, person: Person, pk: int) -> None:
    """Remove one of the person's own keys (lost or replaced); audited. Another person's
    key, or one that does not exist, is refused with the same message."""
    credential = WebAuthnCredential.objects.filter(user=person, pk=pk).first()
    if credential is None:
        raise RuleViolation(_("没有找到这把安全密钥，可能已经移除。"))
    credential.delete()
    audit_record(
        actor=person, action="person.security_key_removed", target=person, after={"key": pk}
    )


def security_key_passed(*, request: HttpRequest, person: Person, credential: Any) -> None:
    """A key of `person` answered the challenge: the session is verified and fresh, and
    the sign-in is audited like a code's (method `webauthn`)."""
    _mark_verified(request, credential)
    audit_record_standalone(
        actor=person,
        action="person.second_factor_passed",
        target=person,
        after={"method": "webauthn", "key": credential.pk},
    )


def security_key_failed(*, person: Person, code: str) -> None:
    """A key's answer was refused (wrong key, another person's key, replayed or forged
    answer); audited like a wrong code."""
    audit_record_standalone(
        actor=person,
        action="person.second_factor_failed",
        target=person,
        after={"method": "webauthn", "reason": code[:64]},
    )
