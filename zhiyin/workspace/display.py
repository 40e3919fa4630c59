"""The large-type mode (长辈版): read it for a request, switch it on or off."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from zhiyin.orgs.models import Person
from zhiyin.workspace.models import DisplayPreference
from zhiyin.workspace.services import display_preference_set

COOKIE = "zhiyin_large"
COOKIE_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days


def large_text_for(request: HttpRequest) -> bool:
    """The person's stored choice; else the browser's cookie; else off."""
    cached = getattr(request, "_large_text", None)
    if cached is not None:
        return bool(cached)
    user = getattr(request, "user", None)
    stored = None
    if isinstance(user, Person) and user.is_authenticated:
        stored = (
            DisplayPreference.objects.filter(person=user)
            .values_list("large_text", flat=True)
            .first()
        )
    large = bool(stored) if stored is not None else request.COOKIES.get(COOKIE) == "1"
    request._large_text = large  # type: ignore[attr-defined]  # a per-request cache
    return large


def large_text_set(*, request: HttpRequest, response: HttpResponse, large: bool) -> None:
    """Remember the choice for this browser and, when signed in, for the person."""
    user = getattr(request, "user", None)
    if isinstance(user, Person) and user.is_authenticated:
        display_preference_set(person=user, large_text=large)
    response.set_cookie(
        COOKIE, "1" if large else "0", max_age=COOKIE_AGE, samesite="Lax", httponly=True
    )
