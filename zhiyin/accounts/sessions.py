"""Signed-in sessions: each person's list of where they are signed in, ending one or all
of them, and the idle timeout for staff (等保 2.0 §8.1.4.1 b: 登录连接超时自动退出).

A staff session unused for `STAFF_IDLE_MINUTES` is ended at its next request: the person
signs in again (with their second factor). Residents are not timed out. Every session of a
signed-in person is listed (`StaffSession`: device, address, last seen); ending one deletes
it from the session store, so that browser is signed out at its next request. Each ending
is audited: by whom, which session, why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.accounts.lockout import client_address
from zhiyin.accounts.models import StaffSession
from zhiyin.accounts.passwords import PASSWORD_VALID_UNTIL_SESSION_KEY, password_valid_until
from zhiyin.audit.services import audit_record
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access
from zhiyin.orgs.models import Person, Role
from zhiyin.orgs.selectors import Access

#: Session key: when (UNIX seconds) this session was last used.
LAST_SEEN_SESSION_KEY = "zhiyin_last_seen"
#: Last-seen times are written at most this often (seconds), not on every request.
TOUCH_EVERY = 30


def idle_timeout_applies(access: Access) -> bool:
    """Staff (anyone holding a role other than resident) are signed out when idle."""
    return bool(access.roles - {Role.RESIDENT})


def _store(key: str) -> object:
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=key)


def sessions_of(*, person: Person) -> QuerySet[StaffSession]:
    """The person's sessions that are still open, most recently used first."""
    return StaffSession.objects.filter(person=person, ended_at__isnull=True)


def session_touch(request: HttpRequest, person: Person) -> None:
    """Note that this session was used now (its row is made on first use)."""
    key = request.session.session_key
    if not key:
        return
    now = timezone.now()
    updated = StaffSession.objects.filter(session_key=key, ended_at__isnull=True).update(
        last_seen_at=now
    )
    if not updated:
        StaffSession.objects.update_or_create(
            session_key=key,
            defaults={
                "person": person,
                "user_agent": request.headers.get("user-agent", "")[:300],
                "address": client_address(request)[:45],
                "last_seen_at": now,
                "ended_at": None,
            },
        )


def _end(session: StaffSession, *, reason: str, by: Person | None) -> None:
    _store(session.session_key).delete()  # type: ignore[attr-defined]  # SessionBase
    session.ended_at = timezone.now()
    session.save(update_fields=["ended_at"])
    audit_record(
        actor=by,
        action="person.session_ended",
        target=session.person,
        after={
            "reason": reason,
            "session": session.pk,
            "address": session.address,
            "device": session.user_agent[:120],
        },
    )


@transaction.atomic
def session_end(*, person: Person, pk: int) -> StaffSession:
    """The person ends one of their own sessions."""
    session = sessions_of(person=person).select_for_update().filter(pk=pk).first()
    if session is None:
        raise RuleViolation(_("没有找到这个登录设备，它可能已经退出。"))
    _end(session, reason="signed_out_by_owner", by=person)
    return session


@transaction.atomic
def sessions_end_all(*, person: Person, reason: str = "signed_out_everywhere") -> int:
    """End every open session of the person (this one included)."""
    ended = 0
    for session in sessions_of(person=person).select_for_update():
        _end(session, reason=reason, by=person)
        ended += 1
    return ended


def session_started_on_login(
    sender: object, request: HttpRequest | None, user: object, **kw: object
) -> None:
    """Signal receiver: a sign-in opens the session's row (the key is new after login)."""
    if request is None or not isinstance(user, Person) or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        request.session.save()
    request.session[LAST_SEEN_SESSION_KEY] = int(time.time())
    # Known at sign-in, so that requests need not look the password's age up.
    request.session[PASSWORD_VALID_UNTIL_SESSION_KEY] = password_valid_until(user)
    session_touch(request, user)


def session_ended_on_logout(
    sender: object, request: HttpRequest | None, user: object, **kw: object
) -> None:
    """Signal receiver: a sign-out closes the session's row (the store is flushed by Django)."""
    if request is None or not isinstance(user, Person) or not request.session.session_key:
        return
    StaffSession.objects.filter(
        session_key=request.session.session_key, ended_at__isnull=True
    ).update(ended_at=timezone.now())


class StaffSessionMiddleware:
    """Keeps the session list up to date and signs idle staff out. Runs right after the
    authentication middleware, before the second-factor check."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, Person) and request.session.session_key:
            now = time.time()
            last = request.session.get(LAST_SEEN_SESSION_KEY)
            idle = settings.STAFF_IDLE_MINUTES * 60
            if (
                isinstance(last, int | float)
                and now - float(last) > idle
                and idle_timeout_applies(request_access(request))
            ):
                return self._time_out(request, user)
            if not isinstance(last, int | float) or now - float(last) >= TOUCH_EVERY:
                request.session[LAST_SEEN_SESSION_KEY] = int(now)
                session_touch(request, user)
        return self.get_response(request)

    def _time_out(self, request: HttpRequest, user: Person) -> HttpResponse:
        key = request.session.session_key
        with transaction.atomic():
            StaffSession.objects.filter(session_key=key, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )
            audit_record(
                actor=user,
                action="person.session_ended",
                target=user,
                after={"reason": "idle_timeout", "minutes": settings.STAFF_IDLE_MINUTES},
            )
        logout(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("长时间未操作，已自动退出，请重新登录。")}, status=401)
        messages.info(
            request,
            _("您已 %(minutes)d 分钟未操作，为安全起见已自动退出，请重新登录。")
            % {"minutes": settings.STAFF_IDLE_MINUTES},
        )
        target = request.get_full_path() if request.method == "GET" else "/"
        return redirect(f"{reverse('login')}?{urlencode({'next': target})}")
