"""Password policy (等保 2.0 §8.1.4.1 a: complexity and periodic change).

Django runs these validators wherever a password is set (`validate_password` in the
services): a minimum length (`PASSWORD_MIN_LENGTH`), several character classes, nothing
close to the login name, phone number or name, and none of the last `PASSWORD_HISTORY`
passwords. Each password set is kept as a hash in `PasswordHistory`, whose newest row also
dates the current password: staff whose password is older than `PASSWORD_MAX_AGE_DAYS`
are sent to change it before anything else (`PasswordExpiryMiddleware`).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zhiyin.accounts.models import PasswordHistory
from zhiyin.orgs.models import Person

_CLASSES = (
    ("lower", re.compile(r"[a-z]")),
    ("upper", re.compile(r"[A-Z]")),
    ("digit", re.compile(r"[0-9]")),
    ("symbol", re.compile(r"[^a-zA-Z0-9\s]")),
)


def password_classes(password: str) -> int:
    """How many of lower-case, upper-case, digits and symbols the password uses."""
    return sum(1 for _name, pattern in _CLASSES if pattern.search(password))


class MinimumLengthValidator:
    """At least `PASSWORD_MIN_LENGTH` characters (Django's own has no Chinese message for
    its current wording)."""

    def __init__(self, min_length: int | None = None) -> None:
        self._min_length = min_length

    @property
    def min_length(self) -> int:
        return int(self._min_length or settings.PASSWORD_MIN_LENGTH)

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短，至少要%(n)d位。") % {"n": self.min_length}, code="password_too_short"
            )

    def get_help_text(self) -> str:
        return _("至少%(n)d位。") % {"n": self.min_length}


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int | None = None) -> None:
        self._min_classes = min_classes

    @property
    def min_classes(self) -> int:
        return int(self._min_classes or settings.PASSWORD_CHARACTER_CLASSES)

    def validate(self, password: str, user: Any = None) -> None:
        if password_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号四类中的至少%(n)d类。") % {
            "n": self.min_classes
        }


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


class PersonalInfoValidator:
    """Not containing the login name or the phone number (or its last eight digits), nor
    the person's name: such a password is the first thing a guesser tries. (Django's
    similarity validator, also configured, catches passwords merely close to them.)"""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        lowered = password.lower()
        username = str(getattr(user, "username", "") or "").lower()
        if len(username) >= 3 and username in lowered:
            raise ValidationError(_("密码不能包含登录名。"), code="password_has_username")
        phone = _digits(str(getattr(user, "phone", "") or ""))
        if len(phone) >= 8 and (phone[-8:] in _digits(password) or phone[-8:] in password):
            raise ValidationError(_("密码不能包含手机号。"), code="password_has_phone")
        name = str(getattr(user, "real_name", "") or "")
        if len(name) >= 2 and name in password:
            raise ValidationError(_("密码不能包含姓名。"), code="password_has_name")

    def get_help_text(self) -> str:
        return _("密码不能包含登录名、手机号或姓名。")


class PasswordHistoryValidator:
    """None of the person's last `PASSWORD_HISTORY` passwords (nor the current one)."""

    def __init__(self, history: int | None = None) -> None:
        self._history = history

    @property
    def history(self) -> int:
        """Read when used: Django keeps one validator instance for the whole process."""
        return int(settings.PASSWORD_HISTORY if self._history is None else self._history)

    def _recent_hashes(self, user: Any) -> list[str]:
        if user is None or getattr(user, "pk", None) is None:
            return []
        hashes = list(
            PasswordHistory.objects.filter(person_id=user.pk).values_list(
                "password_hash", flat=True
            )[: max(self.history, 1)]
        )
        current = Person.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        if current:
            hashes.append(current)
        return hashes

    def validate(self, password: str, user: Any = None) -> None:
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(
                ngettext(
                    "新密码不能与最近用过的%(n)d个密码相同。",
                    "新密码不能与最近用过的%(n)d个密码相同。",
                    max(self.history, 1),
                )
                % {"n": max(self.history, 1)},
                code="password_reused",
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        """Django calls this after a password is saved: keep its hash, drop the oldest."""
        if user is None or getattr(user, "pk", None) is None or not user.password:
            return
        PasswordHistory.objects.create(person_id=user.pk, password_hash=user.password)
        keep = list(
            PasswordHistory.objects.filter(person_id=user.pk).values_list("pk", flat=True)[
                : max(self.history, 1)
            ]
        )
        PasswordHistory.objects.filter(person_id=user.pk).exclude(pk__in=keep).delete()

    def get_help_text(self) -> str:
        return _("不能与最近用过的密码相同。")


def password_set_at(person: Any) -> dt.datetime:
    """When the current password was set: the newest history row, else when the person
    was registered (a password set by a bulk loader has no history row)."""
    latest = (
        PasswordHistory.objects.filter(person_id=person.pk).values_list("set_at", flat=True).first()
    )
    return latest or person.date_joined


def password_expires_at(person: Any) -> dt.datetime | None:
    """When the person's password must be changed (None: no maximum age, or no password)."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days or not person.has_usable_password():
        return None
    return password_set_at(person) + dt.timedelta(days=days)


#: Session key: until when (UNIX seconds) this person's password is known to be valid.
PASSWORD_VALID_UNTIL_SESSION_KEY = "zhiyin_password_valid_until"  # noqa: S105  # a key name


def password_valid_until(person: Any) -> float:
    """UNIX time until which the password needs no change (a day ahead when it never
    expires, so that a newly set maximum age is noticed within a day)."""
    expires = password_expires_at(person)
    if expires is None:
        return time.time() + 86400
    return expires.timestamp()


def password_expired(person: Any) -> bool:
    expires = password_expires_at(person)
    return expires is not None and timezone.now() >= expires
