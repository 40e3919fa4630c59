"""The page frame's menu: the entries the person's roles may use, with their counts."""

from __future__ import annotations

from django.http import HttpRequest

from zhiyin.orgs.auth import request_access
from zhiyin.orgs.models import Person
from zhiyin.workspace.display import large_text_for
from zhiyin.workspace.menu import menu_for
from zhiyin.workspace.selectors import COUNT_CAP, counts_for


def display(request: HttpRequest) -> dict[str, object]:
    """`large_text`: the page is shown in the large-type mode (长辈版)."""
    return {"large_text": large_text_for(request)}


def menu(request: HttpRequest) -> dict[str, object]:
    """Reuses the request's `Access`, which the view usually computed already. Nothing for
    anonymous pages (login, verification), so they stay one query light."""
    user = getattr(request, "user", None)
    if not isinstance(user, Person) or not user.is_authenticated:
        return {}
    access = request_access(request)
    counts = counts_for(access=access, person=user)
    entries = []
    for e in menu_for(access):
        count = counts.get(e.count, 0)
        url = e.url
        entries.append(
            {
                "entry": e,
                "url": url,
                "count": count,
                "count_text": f"{COUNT_CAP - 1}+" if count >= COUNT_CAP else str(count),
                "active": request.path == url,
            }
        )
    return {"menu": entries, "menu_counts": counts}
