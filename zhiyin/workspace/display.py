"""The large-type mode (长辈版): read it for a request, switch it on or off."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from zhiyin.orgs.models import Person
from zhiyin.workspace.models import DisplayPreference
from zhiyin.workspace.services import display_preference_set

COOKIE = "zhiyin_large"
COOKIE_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days
#: The signed-in person's stored choice, copied into the session at sign-in so that
#: pages do not read it from the database on every request.
SESSION_KEY = "zhiyin_large_text"


def _stored_choice(person: Person) -> bool | None:
    return (
        DisplayPreference.objects.filter(person=person).values_list("large_text", flat=True).first()
    )


def large_text_remember_at_login(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    """`user_logged_in` receiver: keep the person's stored choice in their new session."""
    if isinstance(user, Person) and hasattr(request, "session"):
        request.session[SESSION_KEY] = _stored_choice(user)


def large_text_for(request: HttpRequest) -> bool:
    """The person's stored choice; else the browser's cookie; else off."""
    cached = getattr(request, "_large_text", None)
    if cached is not None:
        return bool(cached)
    user = getattr(request, "user", None)
    stored = None
    if isinstance(user, Person) and user.is_authenticated:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            stored = session[SESSION_KEY]
        else:
            stored = _stored_choice(user)
            if session is not None:
                session[SESSION_KEY] = stored
    large = bool(stored) if stored is not None else request.COOKIES.get(COOKIE) == "1"
    request._large_text = large  # type: ignore[attr-defined]  # a per-request cache
    return large


def large_text_set(*, request: HttpRequest, response: HttpResponse, large: bool) -> None:
    """Remember the choice for this browser and, when signed in, for the person."""
    user = getattr(request, "user", None)
    if isinstance(user, Person) and user.is_authenticated:
        display_preference_set(person=user, large_text=large)
        if hasattr(request, "session"):
            request.session[SESSION_KEY] = large
    response.set_cookie(
        COOKIE, "1" if large else "0", max_age=COOKIE_AGE, samesite="Lax", httponly=True
    )
