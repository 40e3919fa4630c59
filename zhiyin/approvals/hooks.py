"""Places where apps above approvals plug in, so approvals never imports them.

`devices` registers a function that, for a request whose physical seal is held in a
smart seal terminal, returns the page where a custodian authorizes the terminal. Such a
request can then no longer be marked as stamped by hand: only the terminal's count
completes it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from zhiyin.approvals.models import SealRequest

PhysicalStampingLink = Callable[[SealRequest], str | None]

_physical_stamping: list[PhysicalStampingLink] = []


def physical_stamping_register(provider: PhysicalStampingLink) -> None:
    if provider not in _physical_stamping:
        _physical_stamping.append(provider)


def physical_stamping_url(request: SealRequest) -> str | None:
    """The terminal page for `request`, or None when its seal is stamped by hand."""
    for provider in _physical_stamping:
        url = provider(request)
        if url:
            return url
    return None


RequestPanel = Callable[[HttpRequest, SealRequest], str]

_request_panels: list[RequestPanel] = []


def request_panel_register(panel: RequestPanel) -> None:
    """A section another app renders into the request page (e.g. the terminal's stamps
    with their photos). It gets the page's request, already checked to be in scope."""
    if panel not in _request_panels:
        _request_panels.append(panel)


def request_panels(http_request: HttpRequest, request: SealRequest) -> list[str]:
    return [html for panel in _request_panels if (html := panel(http_request, request))]
