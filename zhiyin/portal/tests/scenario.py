"""A day in 水南村 for the tours and the form fuzzing: one application waiting for the
clerk, one request waiting for the group leader, one approved and waiting for the
custodians; and how to find every page a person can reach from their own pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.test import Client

from conftest import World
from zhiyin.approvals.services import document_view_record, seal_request_approve
from zhiyin.orgs.models import Person
from zhiyin.portal.models import Application
from zhiyin.portal.services.applications import application_submit
from zhiyin.portal.services.handling import application_accept
from zhiyin.portal.tests.conftest import VEGETABLE_ANSWERS, Services, photo

# Pages no walk follows: they end the session, change the language, or are Django's admin
# (its forms are Django's own and tested there), or serve files rather than pages.
SKIP = re.compile(r"^/(accounts/logout/|i18n/|admin/|static/|media/|api/)|\.(pdf|png|crl|crt|pem)$")


@dataclass
class Day:
    waiting_for_clerk: Application
    waiting_for_leader: Application
    approved: Application


def day_in_the_village(world: World, services: Services) -> Day:
    def submit(area: str) -> Application:
        return application_submit(
            service=services.vegetable,
            resident=world.sn_resident,
            by=world.sn_resident,
            answers={**VEGETABLE_ANSWERS, "area": area},
            files={"photo": [photo()]},
        )

    waiting = submit("2")
    at_leader = submit("3")
    application_accept(application=at_leader, by=world.sn_clerk)
    approved = submit("4")
    request = application_accept(application=approved, by=world.sn_clerk)
    for person in (world.sn_leader1, world.sn_secretary):
        for document in request.documents.all():
            document_view_record(document=document, by=person)
        seal_request_approve(request=request, by=person)
    for app in (waiting, at_leader, approved):
        app.refresh_from_db()
    return Day(waiting_for_clerk=waiting, waiting_for_leader=at_leader, approved=approved)


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: dict[str, str]  # name → type (text, radio, select, file, hidden…)
    hidden: dict[str, str]


class _PageParser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            action = urljoin(self.url, a.get("action") or self.url)
            self._form = Form(self.url, action, (a.get("method") or "get").lower(), {}, {})
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form is not None and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            if kind == "hidden":
                self._form.hidden[a["name"]] = a.get("value", "")
            elif kind not in ("submit", "button"):
                self._form.fields[a["name"]] = kind

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def parse(url: str, html: str) -> _PageParser:
    parser = _PageParser(url)
    parser.feed(html)
    return parser


def reachable(client: Client, start: list[str], *, limit: int = 60) -> dict[str, str]:
    """Every page (path → HTML) reached by following links from `start`, breadth first,
    staying on the site; a query string is kept only for the first page of a list."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or SKIP.search(parts.path):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen or (parts.query and parts.path in seen):
            continue
        answer = client.get(path)
        if answer.status_code != 200 or "text/html" not in answer.get("Content-Type", ""):
            seen[path] = ""
            continue
        html = answer.content.decode()
        seen[path] = html
        queue.extend(parse(path, html).links)
    return {k: v for k, v in seen.items() if v}


def forms_of(pages: dict[str, str]) -> list[Form]:
    """Each distinct form once (the same 已读 button on ten notices is one form)."""
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    for url, html in pages.items():
        for form in parse(url, html).forms:
            key = (form.method, form.action, tuple(sorted(form.fields)))
            if not SKIP.search(urlsplit(form.action).path):
                forms.setdefault(key, form)
    return list(forms.values())


def wizard_pages(client: Client, code: str) -> list[str]:
    """Start a service's form, so that its steps (reached by posting, not by links) and
    its confirmation page are walked too."""
    base = f"/portal/services/{code}/"
    client.post(base)
    return [*(f"{base}step/{n}/" for n in range(1, 5)), f"{base}confirm/"]


def personas(world: World) -> dict[str, Person]:
    return {
        "resident": world.sn_resident,
        "clerk": world.sn_clerk,
        "leader": world.sn_leader1,
        "secretary": world.sn_secretary,
        "custodian": world.sn_custodian1,
        "officer": world.officer,
        "inspector": world.inspector,
        "admin": world.district_admin,
    }
