"""Step-up: views that seal or authorize a terminal ask for a fresh second factor.

    @login_required
    @fresh_second_factor_required
    def request_seal(request, pk): ...

A person whose last second factor is older than `STEP_UP_SECONDS` is sent to the code
page and comes back to the same page afterwards (a POST is not replayed: they return to
the page and submit again, now within the window).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from zhiyin.accounts.twofactor import second_factor_fresh, second_factor_required
from zhiyin.orgs.auth import request_access

View = Callable[..., HttpResponse]


def step_up_url(request: HttpRequest) -> str:
    """The code page, returning to this page afterwards."""
    query = urlencode({"next": request.get_full_path(), "step_up": "1"})
    return f"{reverse('accounts_second_factor')}?{query}"


def fresh_second_factor_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Only those who sign in with two factors are asked (nobody else may seal or
        # authorize anyway: the view refuses them as usual).
        if second_factor_required(request_access(request)) and not second_factor_fresh(request):
            return redirect(step_up_url(request))
        return view(request, *args, **kwargs)

    return wrapped
