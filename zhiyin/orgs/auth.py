"""Who is asking: login with a phone number or a login name (whichever the person
remembers), the API's bearer tokens, and the requesting person's `Access`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest
from ninja.security import HttpBearer

from zhiyin.core.replica import replica_reads
from zhiyin.orgs.models import Person
from zhiyin.orgs.selectors import Access, access_for
from zhiyin.orgs.tokens import api_token_person


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Person | None:
        if not username or password is None:
            return None
        login = username.strip()
        person = Person.objects.filter(Q(username=login) | Q(phone=login)).first()
        if person is None:
            # Spend the same time as a real check so timing does not reveal who exists.
            Person().set_password(password)
            return None
        if person.check_password(password) and self.user_can_authenticate(person):
            return person
        return None


def request_person(request: HttpRequest) -> Person:
    """The logged-in person of a view that `login_required` (or the admin site) guards."""
    assert isinstance(request.user, Person), "the view must require a login first"
    return request.user


def request_access(request: HttpRequest) -> Access:
    """The requesting person's `Access`, computed once per request and kept on it."""
    cached = getattr(request, "_zhiyin_access", None)
    if cached is None:
        user = request.user if isinstance(request.user, Person) else None
        cached = access_for(user)
        request._zhiyin_access = cached  # type: ignore[attr-defined]  # per-request cache
    return cached


P = ParamSpec("P")
R = TypeVar("R")


def replica_view(
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """A view whose reads may be a moment stale go to the read replica, when one is
    configured (`zhiyin.core.replica`). The person and their access are loaded on the
    primary first: who may see what is never decided on a stale copy. Writes the view
    makes, and reads inside them, stay on the primary."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if request.user.is_authenticated:
            request_access(request)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer zy_…`: the request acts as the token's person."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        person = api_token_person(token)
        if person is not None:
            request.user = person
        return person
